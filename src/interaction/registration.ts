/**
 * Self-registration (docs/ACCOUNTS.md "Registration", JWT_OIDC_REGISTRATION=open): "Create an
 * account" on the sign-in page leads to `/account/register`, which asks a username, an email
 * address and a password. The account waits (`pendingVerification`: its password does not sign
 * in) until the link mailed to the address is opened and confirmed; in the browser whose
 * sign-in sent the user here, confirming continues that sign-in to the application.
 *
 * - No enumeration of addresses (docs/SECURITY.md RG-01): once the form is valid and its
 *   username free, the answer is "Check your mail", sent before the address is even looked up;
 *   the account, or — when the address has an account already — a notice to that account, is
 *   made in the background. A username that is taken is said beside the username: a name to
 *   sign in with must be unique, and saying so is what every registration form does.
 * - The link (RG-03) is a single-use account token (src/users/account-tokens.ts), valid
 *   EMAIL_VERIFICATION_LIFETIME; opening it (GET) only shows a button, so that a mail scanner
 *   fetching the link confirms nothing (RG-04); the confirmation is the POST.
 * - Throttled per address typed and per client address, in PostgreSQL across instances (RG-06);
 *   registrations of one address are serialised, so a burst makes one account (RG-07).
 * - Every form carries a double-submit CSRF token (RG-05).
 */
import { audit } from '../audit.js';
import { passwordResetOn } from '../config/derive.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { authorizationRequestOf } from '../provider/stores/interaction-request.js';
import { User } from '../db/entities/user.js';
import { findAccountToken, issueAccountToken, useAccountToken, type AccountTokenFound } from '../users/account-tokens.js';
import { normalizeUsername, registrationProblems, UserError, UserService } from '../users/user-service.js';
import { waitInWords } from '../util/wait-words.js';
import { accountPage as page, doubleSubmit, formFields as fields, interactionParam } from './account-forms.js';
import { afterLogin, live, startSession } from './handlers.js';
import { html } from './views/html.js';
import { pageCsp } from './views/layout.js';
import { PASSWORD_RESET_PATH } from './views/password-reset.js';
import {
  confirmEmailPage,
  emailConfirmedPage,
  REGISTER_PATH,
  registerPage,
  registerSentPage,
  resendRequestPage,
  resendSentPage,
  verifyLinkInvalidPage,
  VERIFY_PATH,
  type RegisterFormField,
  type ResendField,
} from './views/registration.js';

export { REGISTER_PATH, VERIFY_PATH };
/** Registrations and new links per address typed within LOGIN_FAILURE_WINDOW: enough for a typo or a lost mail, too few to flood an inbox. */
const MAILS_PER_ADDRESS = 3;
const EXPIRED_FORM = 'This form has expired. Please try again.';

const csrf = (ctx: ProviderContext) => doubleSubmit(ctx, 'register');
const lifetime = (ctx: ProviderContext) => waitInWords(ctx.settings.emailVerificationLifetime);
const resendUrl = (ctx: ProviderContext, interaction?: string) => providerUrl(ctx, interaction ? `${VERIFY_PATH}?interaction=${encodeURIComponent(interaction)}` : VERIFY_PATH);

/** GET /account/register[?interaction=<uid>] — the form. */
export async function showRegister(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  return registerForm(ctx, { interaction: interactionParam(req.query.interaction) });
}

/**
 * POST /account/register — checks the form and the username, then answers "Check your mail"
 * whoever has the address; the account (or the notice) is made after the answer.
 */
export async function submitRegister(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const form = fields(req);
  const interaction = interactionParam(form('interaction'));
  const input = { username: form('username').slice(0, 1024), email: form('email').trim().slice(0, 1024), password: form('password') };
  // Typed values come back; passwords never do.
  const again = (status: number, errors: Partial<Record<RegisterFormField, string>>, headers: Record<string, string> = {}) => registerForm(ctx, { interaction, username: input.username, email: input.email, errors, status, headers });
  if (!csrf(ctx).matches(req, form('csrf'))) return again(400, { form: EXPIRED_FORM });

  const errors: Partial<Record<RegisterFormField, string>> = {};
  for (const [name, problem] of Object.entries(registrationProblems(input))) errors[name as RegisterFormField] = sentence(problem);
  if (!errors.password && input.password !== form('confirm')) errors.confirm = 'The two passwords differ.';
  if (Object.keys(errors).length > 0) return again(400, errors);

  // Every registration counts, for the address typed and for the client's address, before
  // anything is looked up: probing usernames or flooding an inbox runs out of budget.
  const reservation = await ctx.failures.reserveInTurn([
    { key: `register-email:${input.email.toLowerCase()}`.slice(0, 255), limit: MAILS_PER_ADDRESS },
    { key: `register-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  if (!reservation.ok) {
    const wait = reservation.retryAfter;
    return again(429, { form: `Too many attempts. Try again in ${waitInWords(wait)}.` }, { 'Retry-After': String(wait) });
  }
  await ctx.failures.failed(reservation);

  const users = new UserService(ctx.orm.em);
  const taken = await users.usernameUnavailable(input.username);
  if (taken) return again(400, { username: taken.startsWith('a user named') ? 'This username is taken. Choose another.' : `${sentence(taken).replace(/\.$/, '')}. Choose another.` });

  // After the answer: whether the address has an account must not show, not even in the time taken.
  setImmediate(() => void register(ctx, users, input, interaction, req.ip).catch((e: unknown) => ctx.logger.error({ err: e }, 'registration: the account could not be made')));
  return page(200, registerSentPage({ lifetime: lifetime(ctx), resendUrl: resendUrl(ctx, interaction) }), [csrf(ctx).clear()]);
}

/** The account and its link, or the notice to the account that has the address already. */
async function register(ctx: ProviderContext, users: UserService, input: { username: string; email: string; password: string }, interaction: string | undefined, ip: string): Promise<void> {
  let result;
  try {
    result = await users.register(input, (em, user) => issueVerification(ctx, em, user, interaction));
  } catch (e) {
    // Taken meanwhile by a registration that passed the same check at the same moment.
    if (e instanceof UserError && e.field === 'username') return void ctx.logger.info({ event: 'registration.username_taken' }, 'registration: the username was taken meanwhile; nothing made');
    throw e;
  }
  if ('created' in result) {
    mailVerificationLink(ctx, result.created, result.issued);
    audit(ctx.logger, 'account.registered', { outcome: 'success', actor: result.created.id, ip }, 'account registered: waiting for its email address to be confirmed');
  } else if (result.existing) {
    mailExistingNotice(ctx, result.existing);
    audit(ctx.logger, 'account.registered', { outcome: 'refused', ip, account: result.existing.id }, 'registration refused: the address belongs to an account, which was told by mail');
  } else {
    audit(ctx.logger, 'account.registered', { outcome: 'refused', ip }, 'registration refused: the address belongs to a disabled account');
  }
}

/** A token for `user`'s address; the link continues `interaction` in the browser that started it. */
function issueVerification(ctx: ProviderContext, em: Parameters<typeof issueAccountToken>[0], user: User, interaction: string | undefined): Promise<string> {
  return issueAccountToken(em, {
    kind: 'email-verification',
    userId: user.id,
    lifetimeMs: ctx.settings.emailVerificationLifetime * 1000,
    now: ctx.clock.now(),
    data: { email: user.email, ...(interaction ? { interaction } : {}) },
  });
}

function mailVerificationLink(ctx: ProviderContext, user: User, token: string): void {
  if (!user.email || !ctx.mailer) return;
  const link = providerUrl(ctx, `${VERIFY_PATH}/${token}`);
  const valid = lifetime(ctx);
  ctx.mailer.send({
    kind: 'email-verification',
    to: user.email,
    subject: 'Confirm your email address',
    text: `Someone, hopefully you, created the account "${user.username}" with this email address.\n\nConfirm the address to finish (the link works once, for ${valid}):\n${link}\n\nIf you did not create this account, ignore this mail: nobody can sign in to it until the address is confirmed.\n`,
    html: html`<p>Someone, hopefully you, created the account <strong>${user.username}</strong> with this email address.</p>
<p><a href="${link}">Confirm the address</a> to finish (the link works once, for ${valid}).</p>
<p>If you did not create this account, ignore this mail: nobody can sign in to it until the address is confirmed.</p>`.value,
  });
}

/** Someone registered with an address that has an account: its owner learns it, and how to get in. */
function mailExistingNotice(ctx: ProviderContext, user: User): void {
  if (!user.email || !ctx.mailer) return;
  const reset = passwordResetOn(ctx.settings) ? providerUrl(ctx, PASSWORD_RESET_PATH) : undefined;
  const way = reset ? `sign in with it, or, if you forgot its password, choose a new one here:\n${reset}` : 'sign in with it; if you forgot its password, ask an administrator.';
  ctx.mailer.send({
    kind: 'registration-notice',
    to: user.email,
    subject: 'Someone tried to register with your address',
    text: `Someone, perhaps you, tried to create an account with this email address. It belongs to the account "${user.username}" already, so nothing was created.\n\nIf it was you: ${way}\n\nIf it was not you, ignore this mail: nothing changed.\n`,
    html: html`<p>Someone, perhaps you, tried to create an account with this email address. It belongs to the account <strong>${user.username}</strong> already, so nothing was created.</p>
<p>If it was you: sign in with it${reset ? html`, or, if you forgot its password, <a href="${reset}">choose a new one</a>` : html`; if you forgot its password, ask an administrator`}.</p>
<p>If it was not you, ignore this mail: nothing changed.</p>`.value,
  });
}

/** GET /account/verify/:token — the button that confirms, while the link is good. Changes nothing. */
export async function showVerify(ctx: ProviderContext, req: ProviderRequest, token: string): Promise<HttpResult> {
  const found = await findAccountToken(ctx.orm.em.fork(), 'email-verification', token, ctx.clock.now());
  if (!found) return invalid(ctx);
  return confirmForm(ctx, token, found);
}

/**
 * POST /account/verify/:token — confirms the address, spending the token with it. When the link
 * continues a sign-in, its form posts to /interaction/:uid/verify/:token instead, where this
 * browser's interaction cookie comes along: only the browser that started that sign-in is signed
 * in (a link mailed for a sign-in someone else started signs nobody in there).
 */
export async function submitVerify(ctx: ProviderContext, req: ProviderRequest, token: string, uid?: string): Promise<HttpResult> {
  const form = fields(req);
  const pending = await findAccountToken(ctx.orm.em.fork(), 'email-verification', token, ctx.clock.now());
  if (!pending) return invalid(ctx);
  if (!csrf(ctx).matches(req, form('csrf'))) return confirmForm(ctx, token, pending, EXPIRED_FORM, 400);
  let data: Record<string, unknown> = {};
  const user = await new UserService(ctx.orm.em).verifyEmail(async (em) => {
    const used = await useAccountToken(em, 'email-verification', token, ctx.clock.now());
    data = used?.data ?? {};
    return used?.userId && typeof data.email === 'string' ? { userId: used.userId, email: data.email } : undefined;
  });
  if (!user) return invalid(ctx);
  audit(ctx.logger, 'email.verified', { outcome: 'success', actor: user.id, ip: req.ip }, 'email address confirmed through the mailed link');

  // In the browser whose sign-in led to the registration, that sign-in goes on: the application
  // gets its answer as after a password (OIDC Core §3.1.2.5). Elsewhere, the user signs in anew.
  const found = uid && data.interaction === uid ? await live(ctx, req, uid) : undefined;
  if (uid && found && !found.interaction.userId) {
    const started = await startSession(ctx, req, uid, user.id, ['pwd'], true, false);
    if (started) {
      audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: found.client.id, ip: req.ip }, 'login succeeded after the email address was confirmed');
      const next = await afterLogin(ctx, found, user, started.session, [started.cookie]);
      return { ...next, setCookies: [...(next.setCookies ?? []), csrf(ctx).clear()] };
    }
  }
  return page(200, emailConfirmedPage(), [csrf(ctx).clear()]);
}

/** GET /account/verify[?interaction=<uid>] — asks for a new link. */
export async function showResend(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  return resendForm(ctx, { interaction: interactionParam(req.query.interaction) });
}

/** POST /account/verify — the same answer for any name; the new link goes out in the background. */
export async function submitResend(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const form = fields(req);
  const typed = form('login').trim().slice(0, 320);
  const interaction = interactionParam(form('interaction'));
  const again = (status: number, errors: Partial<Record<ResendField, string>>, headers: Record<string, string> = {}) => resendForm(ctx, { interaction, login: typed, errors, status, headers });
  if (!csrf(ctx).matches(req, form('csrf'))) return again(400, { form: EXPIRED_FORM });
  if (!typed) return again(400, { login: 'Enter your username or email address.' });

  const name = typed.includes('@') ? typed.toLowerCase() : normalizeUsername(typed);
  const reservation = await ctx.failures.reserveInTurn([
    { key: `verify-account:${name}`.slice(0, 255), limit: MAILS_PER_ADDRESS },
    { key: `verify-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  if (!reservation.ok) {
    const wait = reservation.retryAfter;
    return again(429, { form: `Too many requests. Try again in ${waitInWords(wait)}.` }, { 'Retry-After': String(wait) });
  }
  await ctx.failures.failed(reservation);
  setImmediate(() => void mailNewLink(ctx, name, interaction).catch((e: unknown) => ctx.logger.error({ err: e }, 'registration: a new link could not be prepared')));
  return page(200, resendSentPage(), [csrf(ctx).clear()]);
}

/** A new link for the waiting account behind the name typed — or nothing at all. */
async function mailNewLink(ctx: ProviderContext, name: string, interaction: string | undefined): Promise<void> {
  const em = ctx.orm.em.fork();
  const where = { active: true, pendingVerification: true };
  const user = name.includes('@') ? await em.findOne(User, { ...where, email: { $ilike: name.replace(/[\\%_]/g, '\\$&') } }) : await em.findOne(User, { ...where, username: name });
  if (!user?.email) return;
  mailVerificationLink(ctx, user, await issueVerification(ctx, em, user, interaction));
}

function registerForm(ctx: ProviderContext, v: { interaction?: string; username?: string; email?: string; errors?: Partial<Record<RegisterFormField, string>>; status?: number; headers?: Record<string, string> }): HttpResult {
  const token = csrf(ctx).issue();
  const signInUrl = v.interaction ? providerUrl(ctx, `${INTERACTION_PATH}/${v.interaction}`) : undefined;
  const body = registerPage({ action: providerUrl(ctx, REGISTER_PATH), csrfToken: token.token, interaction: v.interaction, signInUrl, username: v.username, email: v.email, errors: v.errors });
  return page(v.status ?? 200, body, [token.cookie], v.headers);
}

function resendForm(ctx: ProviderContext, v: { interaction?: string; login?: string; errors?: Partial<Record<ResendField, string>>; status?: number; headers?: Record<string, string> }): HttpResult {
  const token = csrf(ctx).issue();
  const body = resendRequestPage({ action: providerUrl(ctx, VERIFY_PATH), csrfToken: token.token, interaction: v.interaction, login: v.login, errors: v.errors });
  return page(v.status ?? 200, body, [token.cookie], v.headers);
}

/**
 * The confirmation button. When the link continues a sign-in still pending, it posts under that
 * interaction (see submitVerify), and its policy lets the answer redirect to that application
 * (CSP form-action covers the redirect after a post, as the sign-in page's does).
 */
async function confirmForm(ctx: ProviderContext, link: string, found: AccountTokenFound, error?: string, status = 200): Promise<HttpResult> {
  const user = found.userId ? await ctx.orm.em.fork().findOne(User, { id: found.userId, active: true }) : null;
  if (!user || typeof found.data.email !== 'string') return invalid(ctx);
  const token = csrf(ctx).issue();
  const uid = interactionParam(found.data.interaction);
  const pending = uid ? await ctx.interactions.byChallenge(uid) : undefined;
  const request = pending ? authorizationRequestOf(pending.request) : undefined;
  const action = request ? `${INTERACTION_PATH}/${uid}/verify/${link}` : `${VERIFY_PATH}/${link}`;
  const body = confirmEmailPage({ action: providerUrl(ctx, action), csrfToken: token.token, username: user.username, email: found.data.email, error });
  return page(status, body, [token.cookie], request ? { 'Content-Security-Policy': pageCsp(request.redirectUri) } : {});
}

function invalid(ctx: ProviderContext): HttpResult {
  return page(400, verifyLinkInvalidPage({ resendUrl: resendUrl(ctx) }), [csrf(ctx).clear()]);
}

/** A validation message ("must be …") as a sentence beside its field ("Must be …."). */
function sentence(problem: string): string {
  const text = problem.charAt(0).toUpperCase() + problem.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
