/**
 * Password reset by mail (docs/ACCOUNTS.md): "Forgot your password?" on the sign-in page leads to
 * `/account/password-reset`, which mails a single-use link to the account's address; the link's
 * page sets a new password (the CLI's rules), ends every session and grant of the user, and, in
 * the browser whose sign-in sent the user here, continues that sign-in to the application.
 *
 * - No enumeration (docs/SECURITY.md AC-01): the answer to a request is the same page, status
 *   and timing whether or not the account exists — it is sent before the account is even looked
 *   up; the lookup and the mail happen after it, in the background.
 * - Throttled per address and per name typed, in PostgreSQL across instances (AC-03), whether
 *   or not the name exists.
 * - The token is 256 random bits, stored as a digest, used once in the same transaction as the
 *   password change, valid PASSWORD_RESET_LIFETIME, and ended by any later password change (AC-02).
 * - Both forms carry a double-submit CSRF token (a SameSite=Strict cookie and a field, AC-04).
 */
import { audit } from '../audit.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { authorizationRequestOf } from '../provider/stores/interaction-request.js';
import { User } from '../db/entities/user.js';
import { findAccountToken, issueAccountToken, useAccountToken } from '../users/account-tokens.js';
import { normalizeUsername, UserError, UserService } from '../users/user-service.js';
import { accountPage as page, doubleSubmit, formFields as fields, interactionParam } from './account-forms.js';
import { afterLogin, live, startSession } from './handlers.js';
import { html } from './views/html.js';
import { pageCsp } from './views/layout.js';
import { linkInvalidPage, newPasswordPage, PASSWORD_RESET_PATH, passwordChangedPage, resetRequestPage, resetSentPage, type ResetField } from './views/password-reset.js';

export { PASSWORD_RESET_PATH };
/** Requests per name typed within LOGIN_FAILURE_WINDOW: enough for a lost mail, too few to flood an inbox. */
const REQUESTS_PER_ACCOUNT = 3;

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'reset');

/** GET /account/password-reset[?interaction=<uid>] — the form that asks for a link. */
export async function showResetRequest(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  return requestForm(ctx, { interaction: interactionParam(req.query.interaction) });
}

/** POST /account/password-reset — the same answer for any name; the link goes out in the background. */
export async function submitResetRequest(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const form = fields(req);
  const typed = form('login').trim().slice(0, 320);
  const interaction = interactionParam(form('interaction'));
  const again = (status: number, errors: Partial<Record<ResetField, string>>, headers: Record<string, string> = {}) => requestForm(ctx, { interaction, login: typed, errors, status, headers });
  if (!csrf(ctx).matches(req, form('csrf'))) return again(400, { form: 'This form has expired. Please try again.' });
  if (!typed) return again(400, { login: 'Enter your username or email address.' });

  // Every request counts, for the name typed (whether or not it exists) and for the address.
  const name = typed.includes('@') ? typed.toLowerCase() : normalizeUsername(typed);
  const reservation = await ctx.failures.reserveInTurn([
    { key: `reset-account:${name}`.slice(0, 255), limit: REQUESTS_PER_ACCOUNT },
    { key: `reset-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  if (!reservation.ok) {
    const wait = reservation.retryAfter;
    return again(429, { form: `Too many requests. Try again in ${Math.max(1, Math.ceil(wait / 60))} minutes.` }, { 'Retry-After': String(wait) });
  }
  await ctx.failures.failed(reservation);
  // After the answer: nothing that depends on the account delays it.
  setImmediate(() => void mailResetLink(ctx, name, interaction, req.ip).catch((e: unknown) => ctx.logger.error({ err: e }, 'password reset: the link could not be prepared')));
  return page(200, resetSentPage(), [csrf(ctx).clear()]);
}

/** The account behind the name typed, a token for it, and the mail — or nothing at all. */
async function mailResetLink(ctx: ProviderContext, name: string, interaction: string | undefined, ip: string): Promise<void> {
  const em = ctx.orm.em.fork();
  const user = name.includes('@') ? await em.findOne(User, { email: { $ilike: name.replace(/[\\%_]/g, '\\$&') }, active: true }) : await em.findOne(User, { username: name, active: true });
  if (!user?.email || !ctx.mailer) return;
  const token = await issueAccountToken(em, { kind: 'password-reset', userId: user.id, lifetimeMs: ctx.settings.passwordResetLifetime * 1000, now: ctx.clock.now(), data: interaction ? { interaction } : undefined });
  const link = providerUrl(ctx, `${PASSWORD_RESET_PATH}/${token}`);
  const minutes = Math.round(ctx.settings.passwordResetLifetime / 60);
  ctx.mailer.send({
    kind: 'password-reset',
    to: user.email,
    subject: 'Reset your password',
    text: `Someone, hopefully you, asked to reset the password of the account "${user.username}".\n\nChoose a new password here (the link works once, for ${minutes} minutes):\n${link}\n\nIf you did not ask for this, ignore this mail: your password stays as it is.\n`,
    html: html`<p>Someone, hopefully you, asked to reset the password of the account <strong>${user.username}</strong>.</p>
<p><a href="${link}">Choose a new password</a> (the link works once, for ${minutes} minutes).</p>
<p>If you did not ask for this, ignore this mail: your password stays as it is.</p>`.value,
  });
  audit(ctx.logger, 'password.reset_requested', { outcome: 'success', actor: user.id, ip }, 'password reset link sent');
}

/** GET /account/password-reset/:token — the new-password form, while the link is good. */
export async function showReset(ctx: ProviderContext, req: ProviderRequest, token: string): Promise<HttpResult> {
  const found = await findAccountToken(ctx.orm.em.fork(), 'password-reset', token, ctx.clock.now());
  if (!found) return invalid(ctx);
  return passwordForm(ctx, req, token, found.data, {});
}

/**
 * POST /account/password-reset/:token — sets the password, spending the token with it. When the
 * link continues a sign-in, its form posts to /interaction/:uid/reset/:token instead, where this
 * browser's interaction cookie comes along: only the browser that started that sign-in continues
 * it (a link mailed for an interaction someone else started signs nobody in there).
 */
export async function submitReset(ctx: ProviderContext, req: ProviderRequest, token: string, uid?: string): Promise<HttpResult> {
  const form = fields(req);
  const pending = await findAccountToken(ctx.orm.em.fork(), 'password-reset', token, ctx.clock.now());
  if (!pending) return invalid(ctx);
  if (!csrf(ctx).matches(req, form('csrf'))) return passwordForm(ctx, req, token, pending.data, { form: 'This form has expired. Please try again.' }, 400);
  if (form('password') !== form('confirm')) return passwordForm(ctx, req, token, pending.data, { confirm: 'The two passwords differ.' }, 400);
  let data: Record<string, unknown> = {};
  let user: User | undefined;
  try {
    user = await new UserService(ctx.orm.em).resetPassword(form('password'), async (em) => {
      const used = await useAccountToken(em, 'password-reset', token, ctx.clock.now());
      data = used?.data ?? {};
      return used?.userId ?? undefined;
    });
  } catch (e) {
    if (e instanceof UserError && e.field === 'password') return passwordForm(ctx, req, token, pending.data, { password: e.message.replace(/^password: /, '') }, 400);
    throw e;
  }
  if (!user) return invalid(ctx);
  audit(ctx.logger, 'password.reset', { outcome: 'success', actor: user.id, ip: req.ip }, 'password reset: new password set, sessions and grants ended');

  // In the browser whose sign-in asked for the link, that sign-in goes on: the application gets
  // its answer as after a password (OIDC Core §3.1.2.5). Elsewhere, the user signs in anew.
  const found = uid && data.interaction === uid ? await live(ctx, req, uid) : undefined;
  if (uid && found && !found.interaction.userId) {
    const started = await startSession(ctx, req, uid, user.id, ['pwd'], true, false);
    if (started) {
      audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: found.client.id, ip: req.ip }, 'login succeeded after a password reset');
      const next = await afterLogin(ctx, found, user, started.session, [started.cookie]);
      return { ...next, setCookies: [...(next.setCookies ?? []), csrf(ctx).clear()] };
    }
  }
  return page(200, passwordChangedPage(), [csrf(ctx).clear()]);
}

function requestForm(ctx: ProviderContext, v: { interaction?: string; login?: string; errors?: Partial<Record<ResetField, string>>; status?: number; headers?: Record<string, string> }): HttpResult {
  const token = csrf(ctx).issue();
  const body = resetRequestPage({ action: providerUrl(ctx, PASSWORD_RESET_PATH), csrfToken: token.token, interaction: v.interaction, login: v.login, errors: v.errors });
  return page(v.status ?? 200, body, [token.cookie], v.headers);
}

/**
 * The new-password form. When the link continues a sign-in, it posts under that interaction
 * (see submitReset), and its policy lets the answer redirect to that application (CSP
 * form-action covers the redirect after a post, as the sign-in page's does).
 */
async function passwordForm(ctx: ProviderContext, req: ProviderRequest, link: string, data: Record<string, unknown>, errors: Partial<Record<ResetField, string>>, status = 200): Promise<HttpResult> {
  const token = csrf(ctx).issue();
  const uid = interactionParam(data.interaction);
  const pending = uid ? await ctx.interactions.byChallenge(uid) : undefined;
  const request = pending ? authorizationRequestOf(pending.request) : undefined;
  const action = request ? `${INTERACTION_PATH}/${uid}/reset/${link}` : `${PASSWORD_RESET_PATH}/${link}`;
  return page(status, newPasswordPage({ action: providerUrl(ctx, action), csrfToken: token.token, errors }), [token.cookie], request ? { 'Content-Security-Policy': pageCsp(request.redirectUri) } : {});
}

function invalid(ctx: ProviderContext): HttpResult {
  return page(400, linkInvalidPage({ requestUrl: providerUrl(ctx, PASSWORD_RESET_PATH) }), [csrf(ctx).clear()]);
}
