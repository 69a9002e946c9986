/**
 * Changing one's email address (docs/ACCOUNTS.md "Changing the email address"): the
 * `changeMyEmail` mutation (src/graphql/account-resolver.ts) calls `startEmailChange`, which mails
 * a single-use link to the NEW address; the account keeps its address until that link is
 * confirmed at `/account/email/<token>`; then the OLD address is told, so that an owner whose
 * session was stolen learns it (docs/SECURITY.md EC-01..EC-05).
 *
 * - No enumeration of addresses (EC-02): the mutation answers the same whether or not another
 *   account holds the new address; the link, or a notice to the address, is made after the
 *   answer. An address held by another account is never given to this one, not even when it
 *   was taken between the request and the confirmation (under the address's lock).
 * - The link (EC-03) is an account token (src/users/account-tokens.ts) valid
 *   EMAIL_VERIFICATION_LIFETIME, bound to the address the account had when it was asked for:
 *   a later change voids it. A new request ends the earlier links. Opening it (GET) shows a
 *   button, so that a mail scanner changes nothing (EC-04); the POST changes, with a double-submit
 *   CSRF token (EC-05).
 */
import { audit } from '../audit.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { User } from '../db/entities/user.js';
import { findAccountToken, issueAccountToken, useAccountToken } from '../users/account-tokens.js';
import { UserService } from '../users/user-service.js';
import { waitInWords } from '../util/wait-words.js';
import { accountPage as page, doubleSubmit, formFields as fields } from './account-forms.js';
import { html } from './views/html.js';
import { confirmEmailChangePage, EMAIL_CHANGE_PATH, emailChangedPage, emailChangeLinkInvalidPage, emailTakenPage } from './views/email-change.js';

export { EMAIL_CHANGE_PATH };

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'email-change');
/** Where the confirmation page sends the user back to (the account page). */
const ACCOUNT_PATH = '/account';

/**
 * Asks for `email` to become `user`'s address: the link to the new address, or — when another
 * account holds it — a notice there. Run after the caller answered (see the module's comment);
 * what goes wrong is logged, never thrown.
 */
export function startEmailChange(ctx: ProviderContext, user: User, email: string, ip: string): void {
  setImmediate(() => void requestChange(ctx, user, email, ip).catch((e: unknown) => ctx.logger.error({ err: e }, 'email change: the link could not be prepared')));
}

async function requestChange(ctx: ProviderContext, user: User, email: string, ip: string): Promise<void> {
  const outcome = await new UserService(ctx.orm.em).requestEmailChange(user.id, email, (em, u, wanted) =>
    issueAccountToken(em, { kind: 'email-change', userId: u.id, lifetimeMs: ctx.settings.emailVerificationLifetime * 1000, now: ctx.clock.now(), data: { email: wanted, previous: u.email ?? null } }),
  );
  if ('taken' in outcome) {
    mailTakenNotice(ctx, email);
    return void audit(ctx.logger, 'email.change_requested', { outcome: 'refused', actor: user.id, ip }, 'email change refused: another account has the address, which was told by mail');
  }
  mailLink(ctx, user, email, outcome.issued);
  audit(ctx.logger, 'email.change_requested', { outcome: 'success', actor: user.id, ip }, 'email change asked: a link went to the new address');
}

function mailLink(ctx: ProviderContext, user: User, email: string, token: string): void {
  if (!ctx.mailer) return;
  const link = providerUrl(ctx, `${EMAIL_CHANGE_PATH}/${token}`);
  const valid = waitInWords(ctx.settings.emailVerificationLifetime);
  ctx.mailer.send({
    kind: 'email-change',
    to: email,
    subject: 'Confirm your new email address',
    text: `Someone, hopefully you, asked for this address to become the address of the account "${user.username}".\n\nConfirm it (the link works once, for ${valid}):\n${link}\n\nIf you did not ask for this, ignore this mail: nothing changes without the confirmation.\n`,
    html: html`<p>Someone, hopefully you, asked for this address to become the address of the account <strong>${user.username}</strong>.</p>
<p><a href="${link}">Confirm the new address</a> (the link works once, for ${valid}).</p>
<p>If you did not ask for this, ignore this mail: nothing changes without the confirmation.</p>`.value,
  });
}

/** The address belongs to another account: its owner learns that someone tried, and nothing changed. */
function mailTakenNotice(ctx: ProviderContext, email: string): void {
  if (!ctx.mailer) return;
  ctx.mailer.send({
    kind: 'email-change-refused',
    to: email,
    subject: 'Someone tried to use your address',
    text: 'Someone asked for this address to become the address of another account. It belongs to an account already, so nothing changed.\n\nIf it was you, sign in to the account that has this address instead. Otherwise, ignore this mail.\n',
    html: html`<p>Someone asked for this address to become the address of another account. It belongs to an account already, so nothing changed.</p>
<p>If it was you, sign in to the account that has this address instead. Otherwise, ignore this mail.</p>`.value,
  });
}

/**
 * The old address learns of the change. A password reset would mail the new address, which may
 * be the intruder's: the way back is an administrator (docs/ACCOUNTS.md).
 */
function mailChangedNotice(ctx: ProviderContext, user: User, previous: string, email: string): void {
  if (!ctx.mailer) return;
  ctx.mailer.send({
    kind: 'email-changed',
    to: previous,
    subject: 'The email address of your account changed',
    text: `The address of the account "${user.username}" is now ${email}; this address no longer receives its mail.\n\nIf you did not do this, someone else may be using your account: tell an administrator at once.\n`,
    html: html`<p>The address of the account <strong>${user.username}</strong> is now <strong>${email}</strong>; this address no longer receives its mail.</p>
<p>If you did not do this, someone else may be using your account: tell an administrator at once.</p>`.value,
  });
}

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
    return used && typeof email === 'string' && (typeof previous === 'string' || previous === null) ? { userId: used.userId, email, previous } : undefined;
  });
  if (!outcome) return invalid(ctx);
  if ('taken' in outcome) {
    audit(ctx.logger, 'email.changed', { outcome: 'refused', actor: pending.userId, ip: req.ip }, 'email change refused at its confirmation: another account has the address now');
    return page(409, emailTakenPage(), [csrf(ctx).clear()]);
  }
  const { user, previous } = outcome;
  audit(ctx.logger, 'email.changed', { outcome: 'success', actor: user.id, ip: req.ip }, 'email address changed through the link mailed to the new address');
  if (previous) mailChangedNotice(ctx, user, previous, user.email!);
  return page(200, emailChangedPage({ email: user.email!, accountUrl: providerUrl(ctx, ACCOUNT_PATH) }), [csrf(ctx).clear()]);
}

async function confirmForm(ctx: ProviderContext, link: string, found: { userId: string; data: Record<string, unknown> }, error?: string, status = 200): Promise<HttpResult> {
  const user = await ctx.orm.em.fork().findOne(User, { id: found.userId, active: true });
  if (!user || typeof found.data.email !== 'string') return invalid(ctx);
  const token = csrf(ctx).issue();
  const body = confirmEmailChangePage({ action: providerUrl(ctx, `${EMAIL_CHANGE_PATH}/${link}`), csrfToken: token.token, username: user.username, email: found.data.email, error });
  return page(status, body, [token.cookie]);
}

function invalid(ctx: ProviderContext): HttpResult {
  return page(400, emailChangeLinkInvalidPage(), [csrf(ctx).clear()]);
}
