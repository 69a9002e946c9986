/**
 * The page of the link that confirms a new email address (docs/ACCOUNTS.md "Changing the email
 * address"; the request and the mails: src/users/email-change.ts). Opening it (GET) shows a
 * button, so that a mail scanner changes nothing; the POST changes, with a double-submit CSRF
 * token (docs/SECURITY.md EC-04). An address held by another account is never given, not even
 * when it was taken between the request and the confirmation (under the address's lock, EC-05).
 */
import { audit } from '../audit.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { User } from '../db/entities/user.js';
import { findAccountToken, useAccountToken, type AccountTokenFound } from '../users/account-tokens.js';
import { EMAIL_CHANGE_PATH, mailChangedNotice } from '../users/email-change.js';
import { UserService } from '../users/user-service.js';
import { accountPage as page, accountPageUrl, doubleSubmit, formFields as fields } from './account-forms.js';
import { confirmEmailChangePage, emailChangedPage, emailChangeLinkInvalidPage, emailTakenPage } from './views/email-change.js';

export { EMAIL_CHANGE_PATH };

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'email-change');

/** GET /account/email/:token — the button that confirms, while the link is good. Changes nothing. */
export async function showEmailChange(ctx: ProviderContext, _req: ProviderRequest, token: string): Promise<HttpResult> {
  const found = await findAccountToken(ctx.orm.em.fork(), 'email-change', token, ctx.clock.now());
  if (!found) return invalid(ctx);
  return confirmForm(ctx, token, found);
}

/** POST /account/email/:token — the change, spending the token with it. */
export async function submitEmailChange(ctx: ProviderContext, req: ProviderRequest, token: string): Promise<HttpResult> {
  const form = fields(req);
  const pending = await findAccountToken(ctx.orm.em.fork(), 'email-change', token, ctx.clock.now());
  if (!pending) return invalid(ctx);
  if (!csrf(ctx).matches(req, form('csrf'))) return confirmForm(ctx, token, pending, 'This form has expired. Please try again.', 400);
  const outcome = await new UserService(ctx.orm.em).changeEmail(async (em) => {
    const used = await useAccountToken(em, 'email-change', token, ctx.clock.now());
    const { email, previous } = used?.data ?? {};
    return used?.userId && typeof email === 'string' && (typeof previous === 'string' || previous === null) ? { userId: used.userId, email, previous } : undefined;
  });
  if (!outcome) return invalid(ctx);
  if ('taken' in outcome) {
    audit(ctx.logger, 'email.changed', { outcome: 'refused', actor: pending.userId ?? undefined, ip: req.ip }, 'email change refused at its confirmation: another account has the address now');
    return page(409, emailTakenPage(), [csrf(ctx).clear()]);
  }
  const { user, previous } = outcome;
  audit(ctx.logger, 'email.changed', { outcome: 'success', actor: user.id, ip: req.ip }, 'email address changed through the link mailed to the new address');
  if (previous) mailChangedNotice(ctx, user, previous, user.email!);
  return page(200, emailChangedPage({ email: user.email!, accountUrl: accountPageUrl(ctx) }), [csrf(ctx).clear()]);
}

async function confirmForm(ctx: ProviderContext, link: string, found: AccountTokenFound, error?: string, status = 200): Promise<HttpResult> {
  const user = found.userId ? await ctx.orm.em.fork().findOne(User, { id: found.userId, active: true }) : null;
  if (!user || typeof found.data.email !== 'string') return invalid(ctx);
  const token = csrf(ctx).issue();
  const body = confirmEmailChangePage({ action: providerUrl(ctx, `${EMAIL_CHANGE_PATH}/${link}`), csrfToken: token.token, username: user.username, email: found.data.email, error });
  return page(status, body, [token.cookie]);
}

function invalid(ctx: ProviderContext): HttpResult {
  return page(400, emailChangeLinkInvalidPage(), [csrf(ctx).clear()]);
}
