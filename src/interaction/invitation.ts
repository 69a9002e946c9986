/**
 * The invitation's link (docs/ACCOUNTS.md "Invitations"; the invitation itself:
 * src/users/invitations.ts): `/account/invitation/<token>` shows the invited address and asks a
 * username and a password, once.
 *
 * - The account gets the invited address, never one typed: the form has no such field, and the
 *   address comes from the token's data (docs/SECURITY.md IV-05). `email_verified` is true: the
 *   link reached that address (OIDC Core §5.1).
 * - The token is used in the transaction that creates the account: of any number of posts of
 *   one link, on any number of instances, exactly one creates an account (IV-01). A taken
 *   username rolls the use back, so the link stays usable.
 * - Valid INVITATION_LIFETIME (IV-02); every form carries a double-submit CSRF token (IV-03);
 *   throttled per client address as registrations are, in PostgreSQL across instances.
 * - Opening the link (GET) changes nothing: mail scanners fetch links.
 */
import { audit } from '../audit.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { findAccountToken, useAccountToken, type AccountTokenFound } from '../users/account-tokens.js';
import { registrationProblems, UserError, UserService } from '../users/user-service.js';
import { waitInWords } from '../util/wait-words.js';
import { accountPage as page, accountPageUrl, doubleSubmit, formFields as fields } from './account-forms.js';
import { accountReadyPage, INVITATION_PATH, invitationInvalidPage, invitationPage, type InvitationField } from './views/invitation.js';

export { INVITATION_PATH };
/** The issuer's own account page (docs/ACCOUNTS.md "Your own account"), where the ready page sends people. */
const EXPIRED_FORM = 'This form has expired. Please try again.';

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'invitation');

/** The address and admin flag of a live invitation token; undefined for anything else. */
function invited(found: AccountTokenFound | undefined): { email: string; admin: boolean } | undefined {
  const email = found?.data.email;
  return typeof email === 'string' ? { email, admin: found!.data.admin === true } : undefined;
}

/** GET /account/invitation/:token — the form while the link is good. Changes nothing. */
export async function showInvitation(ctx: ProviderContext, req: ProviderRequest, token: string): Promise<HttpResult> {
  const invitation = invited(await findAccountToken(ctx.orm.em.fork(), 'invitation', token, ctx.clock.now()));
  if (!invitation) return invalid(ctx);
  return form(ctx, token, invitation.email, {});
}

/** POST /account/invitation/:token — creates the invited account, spending the link with it. */
export async function submitInvitation(ctx: ProviderContext, req: ProviderRequest, token: string): Promise<HttpResult> {
  const posted = fields(req);
  const invitation = invited(await findAccountToken(ctx.orm.em.fork(), 'invitation', token, ctx.clock.now()));
  if (!invitation) return invalid(ctx);
  const input = { username: posted('username').slice(0, 1024), password: posted('password') };
  // The username typed comes back; passwords never do.
  const again = (status: number, errors: Partial<Record<InvitationField, string>>, headers: Record<string, string> = {}) => form(ctx, token, invitation.email, { username: input.username, errors, status, headers });
  if (!csrf(ctx).matches(req, posted('csrf'))) return again(400, { form: EXPIRED_FORM });

  // The rules of registration (the address is the invitation's, checked when it was made).
  const errors: Partial<Record<InvitationField, string>> = {};
  const problems = registrationProblems({ ...input, email: invitation.email });
  if (problems.username) errors.username = sentence(problems.username);
  if (problems.password) errors.password = sentence(problems.password);
  if (!errors.password && input.password !== posted('confirm')) errors.confirm = 'The two passwords differ.';
  if (Object.keys(errors).length > 0) return again(400, errors);

  // Each attempt counts for the client's address before the password is hashed (CPU) or a
  // username looked up, as registrations do (docs/ACCOUNTS.md "Registration").
  const reservation = await ctx.failures.reserveInTurn([{ key: `invitation-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit }]);
  if (!reservation.ok) {
    const wait = reservation.retryAfter;
    return again(429, { form: `Too many attempts. Try again in ${waitInWords(wait)}.` }, { 'Retry-After': String(wait) });
  }
  await ctx.failures.failed(reservation);

  let user;
  try {
    user = await new UserService(ctx.orm.em).acceptInvitation(invitation.email, input, async (em) => invited(await useAccountToken(em, 'invitation', token, ctx.clock.now())));
  } catch (e) {
    // Taken, or too like a name that is: said beside the field; the link was not used.
    if (e instanceof UserError && e.field === 'username') {
      const taken = e.message.replace(/^username: /, '');
      return again(400, { username: taken.startsWith('a user named') ? 'This username is taken. Choose another.' : `${sentence(taken).replace(/\.$/, '')}. Choose another.` });
    }
    throw e;
  }
  if (!user) return invalid(ctx);
  audit(ctx.logger, 'invitation.accepted', { outcome: 'success', actor: user.id, admin: user.admin, ip: req.ip }, 'invitation accepted: account created');
  return page(200, accountReadyPage({ username: user.username, accountUrl: accountPageUrl(ctx) }), [csrf(ctx).clear()]);
}

function form(ctx: ProviderContext, link: string, email: string, v: { username?: string; errors?: Partial<Record<InvitationField, string>>; status?: number; headers?: Record<string, string> }): HttpResult {
  const token = csrf(ctx).issue();
  const body = invitationPage({ action: providerUrl(ctx, `${INVITATION_PATH}/${link}`), csrfToken: token.token, email, username: v.username, errors: v.errors });
  return page(v.status ?? 200, body, [token.cookie], v.headers);
}

function invalid(ctx: ProviderContext): HttpResult {
  return page(400, invitationInvalidPage(), [csrf(ctx).clear()]);
}

/** A validation message ("must be …") as a sentence beside its field ("Must be …."). */
function sentence(problem: string): string {
  const text = problem.charAt(0).toUpperCase() + problem.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
