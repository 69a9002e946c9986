/**
 * The built-in pages of an interaction (OIDC Core §3.1.2.3 authentication, §3.1.2.4 consent):
 * login, account selection, consent, and the
 * resumption after a delegated login. Each form post must come from the browser that started the
 * interaction (its cookie) with the form's CSRF token; logins are throttled per account and per
 * address, answer alike for unknown users and wrong passwords, and start a session with a fresh
 * id; every post ends in a 303 (docs/SECURITY.md SE-01…SE-07).
 */
import { authorizationRequestOf } from '../provider/stores/interaction-request.js';
import type { RegisteredClient } from '../clients/client-registry.js';
import { User } from '../db/entities/user.js';
import { serializeCookie } from '../provider/cookies.js';
import { mfaRequired } from '../provider/authorization/acr.js';
import { authorizationError, consentScopes, INTERACTION_PATH, needsConsent, needsLogin } from '../provider/authorization/authorize.js';
import { completeAuthorization, type LoginFacts } from '../provider/authorization/complete.js';
import { AuthorizationRedirectError, type AuthorizationRequest } from '../provider/authorization/request.js';
import { grantableScopes } from '../provider/authorization/scopes.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { OAuthError } from '../provider/errors.js';
import { backTo, redirectResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import type { DelegatedLogin, PendingInteraction } from '../provider/stores/interaction-store.js';
import { sessionDevice, type ProviderSession } from '../provider/stores/session-store.js';
import { hasFactor } from '../users/factor-store.js';
import { normalizeUsername } from '../users/user-service.js';
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from '../users/password.js';
import { consentPage } from './views/consent.js';
import { isMetadataDocumentId } from '../clients/client-service.js';
import { errorPage } from './views/error.js';
import { htmlPage } from './views/render.js';
import { pageCsp } from './views/layout.js';
import { loginPage } from './views/login.js';
import { passkeyLoginOffer } from './passkey-offer.js';
import { PASSWORD_RESET_PATH } from './views/password-reset.js';
import { REGISTER_PATH, VERIFY_PATH } from './views/registration.js';
import { passwordResetOn, registrationOn } from '../config/derive.js';
import { waitInWords } from '../util/wait-words.js';
import { selectAccountPage } from './views/select-account.js';
import { audit, auditDigest } from '../audit.js';
import { addressKey, deviceOf, DEVICE_COOKIE_MAX_AGE, issueDeviceCookie } from '../provider/throttle/login-keys.js';

export const EXPIRED = { title: 'Sign-in expired', message: 'This sign-in request is no longer valid. Go back to the application and start again.' };
const LOGIN_FAILED = 'Incorrect username or password.';
/** A self-registered account whose address is not confirmed yet (docs/ACCOUNTS.md "Registration"). */
const NOT_CONFIRMED = 'Confirm your email address first: we sent you a link.';

export interface Live {
  interaction: PendingInteraction;
  request: AuthorizationRequest;
  client: RegisteredClient;
}

/** The interaction, if it is this browser's (and, for a form, the CSRF token matches). */
export async function live(ctx: ProviderContext, req: ProviderRequest, uid: string, csrf?: string): Promise<Live | undefined> {
  const interaction = await ctx.interactions.find(uid, req.cookies.get(ctx.cookies.interaction), csrf);
  if (!interaction) return undefined;
  const request = authorizationRequestOf(interaction.request);
  const client = request && (await ctx.clients.get(request.clientId));
  return client ? { interaction, request, client } : undefined;
}

/**
 * Whether the account-selection page may offer to continue `session`: the request allowed it
 * when it was parked (no prompt=login, max_age still met, no hint naming someone else: OIDC Core
 * §3.1.2.1), it is still the session the request was parked with, and max_age still holds.
 */
function continuable(ctx: ProviderContext, found: Live, session: ProviderSession): boolean {
  return found.request.offerSelect === true && found.interaction.sessionHash === session.idHash && !needsLogin(ctx, found.request, session);
}

/** Where the login app takes over this interaction, when one is configured and the built-in form is not allowed beside it. */
function delegatedLogin(ctx: ProviderContext, uid: string): string | undefined {
  if (!ctx.settings.loginUrl || ctx.settings.builtInLogin) return undefined;
  const target = new URL(ctx.settings.loginUrl);
  target.searchParams.set('login_challenge', uid);
  return target.toString();
}

/**
 * How a user says who they are, when nobody has yet in this interaction: the password form
 * (`passwordLogin`), or the fake mode's "sign in as anyone" (src/fake/login.ts). Either ends in
 * `startSession` and `afterLogin`, so that everything after the login is the provider's.
 */
export interface LoginStep {
  /** The page of GET /interaction/:uid. */
  page(ctx: ProviderContext, found: Live, req: ProviderRequest): Promise<HttpResult>;
  /** POST /interaction/:uid/login. */
  submit(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult>;
}

export const action = (ctx: ProviderContext, uid: string, step: string) => providerUrl(ctx, `${INTERACTION_PATH}/${uid}/${step}`);

/** GET /interaction/:uid — the page this interaction is at (or its end, when nothing is left to ask). */
export async function showInteraction(ctx: ProviderContext, req: ProviderRequest, uid: string, step: LoginStep = passwordLogin): Promise<HttpResult> {
  const found = await live(ctx, req, uid);
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { interaction, request, client } = found;
  const csp = { 'Content-Security-Policy': pageCsp(request.redirectUri) };

  const rejected = interaction.login?.rejected;
  if (rejected) {
    // The delegated login app refused: the client learns why, once.
    if (!(await ctx.interactions.finish(uid))) return htmlPage(400, errorPage(EXPIRED));
    const error = authorizationError(ctx, new AuthorizationRedirectError(new OAuthError(rejected.error as OAuthError['error'], rejected.description), request.redirectUri, request.state, request.responseMode));
    return { ...error, setCookies: [clearInteractionCookie(ctx, uid)] };
  }

  // The password given, a second factor still to come: its page (src/interaction/second-factor.ts),
  // or its set-up (src/interaction/enrolment.ts).
  if (!interaction.userId && interaction.firstFactor) return redirectResult(action(ctx, uid, interaction.firstFactor.enrol ? 'enrol' : 'mfa'));

  if (!interaction.userId) {
    const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
    const current = session ? await ctx.orm.em.fork().findOne(User, { id: session.userId, active: true }) : null;
    if (current && continuable(ctx, found, session!) && req.query.login !== '1') {
      const csrfToken = await ctx.interactions.renewCsrf(uid);
      return htmlPage(200, selectAccountPage({ action: action(ctx, uid, 'select'), csrfToken, clientName: client.name, username: current.username }), csp);
    }
    // With a login app, it alone signs users in: its checks (MFA, SSO only) cannot be skipped.
    const loginApp = delegatedLogin(ctx, uid);
    if (loginApp) return redirectResult(loginApp);
    return step.page(ctx, found, req);
  }

  const user = await ctx.orm.em.fork().findOne(User, { id: interaction.userId, active: true });
  if (!user) return htmlPage(400, errorPage({ ...EXPIRED, back: backTo(client) }));
  let setCookies: string[] = [];
  let session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  if (!interaction.sessionHash) {
    // Back from a delegated login app: the session starts here, in this browser, with a fresh id.
    const started = await startSession(ctx, req, uid, user.id, interaction.login?.amr ?? ['pwd'], interaction.login?.remember !== false, true);
    if (!started) return htmlPage(400, errorPage(EXPIRED)); // a parallel request started it
    session = started.session;
    setCookies = [started.cookie];
  } else if (!session || session.idHash !== interaction.sessionHash || session.userId !== user.id) {
    return htmlPage(400, errorPage({ title: 'Sign-in interrupted', message: 'You are no longer signed in as the same user. Go back to the application and start again.', back: backTo(client) }));
  }
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes, request.resourceScopes);
  if (await needsConsent(ctx, request, client, user.id, scopes)) {
    const csrfToken = await ctx.interactions.renewCsrf(uid);
    return htmlPage(200, consentPage({ action: action(ctx, uid, 'consent'), csrfToken, clientName: client.name, clientLogoUri: client.logoUri, clientHost: isMetadataDocumentId(client.id) ? new URL(client.id).host : undefined, username: user.username, scopes: consentScopes(request, scopes) }), csp, setCookies);
  }
  return finish(ctx, found, user, { ...session, acr: interaction.login?.acr ?? null }, scopes, setCookies);
}

/** The password form: GET shows it, POST checks the password (throttled, SE-04, SE-05). */
export const passwordLogin: LoginStep = {
  page: (ctx, found) => loginPageResult(ctx, found, 200, {}),
  submit: (ctx, req, uid) => submitLogin(ctx, req, uid),
};

/**
 * The login page, with "Sign in with a passkey" where PASSKEY_LOGIN is on (then, and only then,
 * with its scripts: src/interaction/passkey-offer.ts).
 */
export async function loginPageResult(ctx: ProviderContext, { interaction, request, client }: Live, status: number, v: { username?: string; error?: string; resendUrl?: string }, headers: Record<string, string> = {}): Promise<HttpResult> {
  const uid = interaction.uid;
  const csrfToken = await ctx.interactions.renewCsrf(uid);
  const passkey = await passkeyLoginOffer(ctx, uid, csrfToken);
  const view = { action: action(ctx, uid, 'login'), csrfToken, clientName: client.name, clientLogoUri: client.logoUri, username: v.username ?? request.loginHint, error: v.error, resetUrl: resetUrl(ctx, uid), registerUrl: registerUrl(ctx, uid), resendUrl: v.resendUrl, passkey };
  return htmlPage(status, loginPage(view), { 'Content-Security-Policy': pageCsp(request.redirectUri, passkey !== undefined), ...headers });
}

/** The reset page for this sign-in, when password reset is on (src/interaction/password-reset.ts). */
function resetUrl(ctx: ProviderContext, uid: string): string | undefined {
  return passwordResetOn(ctx.settings) && ctx.mailer ? providerUrl(ctx, `${PASSWORD_RESET_PATH}?interaction=${encodeURIComponent(uid)}`) : undefined;
}

/** The registration page for this sign-in, when registration is open (src/interaction/registration.ts). */
function registerUrl(ctx: ProviderContext, uid: string): string | undefined {
  return registrationOn(ctx.settings) && ctx.mailer ? providerUrl(ctx, `${REGISTER_PATH}?interaction=${encodeURIComponent(uid)}`) : undefined;
}

/** POST /interaction/:uid/login — username and password. */
async function submitLogin(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await live(ctx, req, uid, form.get('csrf') ?? '');
  if (!found || found.interaction.userId) return htmlPage(400, errorPage(EXPIRED));
  const { request, client } = found;
  if (delegatedLogin(ctx, uid)) {
    // No password is checked here while a login app is configured (JWT_OIDC_BUILT_IN_LOGIN opts in).
    audit(ctx.logger, 'login.refused', { outcome: 'refused', client: client.id, ip: req.ip }, 'built-in login refused: a login app is configured');
    return htmlPage(403, errorPage({ title: 'Sign in at the login page', message: 'This service signs you in through its login page. Go back to the application and start again.', back: backTo(client) }));
  }

  const username = normalizeUsername(form.get('username') ?? '').slice(0, 150);
  const password = form.get('password') ?? '';
  const rerender = (status: number, error: string, extra: Record<string, string> = {}, resendUrl?: string) => loginPageResult(ctx, found, status, { username, error, resendUrl }, extra);

  // The attempt is reserved before the password is checked, in PostgreSQL, so the limits hold
  // under any concurrency and across instances; one password per account (or per device) is
  // checked at a time, the others wait their turn (a few seconds at most, then 429). While
  // throttled, not even the right password gets in (SE-04), and the answer does not depend on
  // whether the account exists.
  const device = deviceOf(ctx.secretKeys.device, req.cookies.get(ctx.cookies.device), username);
  const accountKey = device ? `device:${device}:${username}` : `account:${username}`;
  const reservation = await ctx.failures.reserveInTurn([
    { key: accountKey, limit: ctx.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  const usernameDigest = auditDigest(ctx.secretKeys.audit, username);
  if (!reservation.ok) {
    audit(ctx.logger, 'login.throttled', { outcome: 'refused', client: client.id, ip: req.ip, username: usernameDigest }, 'login throttled');
    const wait = reservation.retryAfter;
    const message = reservation.busy ? 'Another sign-in to this account is being checked. Try again in a moment.' : `Too many failed attempts. Try again in ${waitInWords(wait)}.`;
    return rerender(429, message, { 'Retry-After': String(wait) });
  }

  let user: User | null = null;
  let valid = false;
  try {
    user = username ? await ctx.orm.em.fork().findOne(User, { username }) : null;
    // The same scrypt work whether or not the user exists (no enumeration by timing: SE-05).
    const hash = user?.passwordHash ?? (await dummyPasswordHash());
    valid = password.length > 0 && password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, hash)) && !!user?.passwordHash && user.active;
  } finally {
    // Settled whatever happened: an error counts as a failure, never as a free attempt.
    if (!valid || !user) await ctx.failures.failed(reservation);
  }
  if (!valid || !user) {
    audit(ctx.logger, 'login.failure', { outcome: 'failure', client: client.id, ip: req.ip, username: usernameDigest }, 'login failed');
    return rerender(401, LOGIN_FAILED);
  }
  await ctx.failures.succeeded(reservation);
  if (user.pendingVerification) {
    // The right password of an account that waits for its address: said as it is (whoever typed
    // it knows the password), with the way to a new link (docs/SECURITY.md RG-02).
    audit(ctx.logger, 'login.refused', { outcome: 'refused', actor: user.id, client: client.id, ip: req.ip }, 'login refused: the email address is not confirmed yet');
    return rerender(403, NOT_CONFIRMED, {}, registerUrl(ctx, uid) && providerUrl(ctx, `${VERIFY_PATH}?interaction=${encodeURIComponent(uid)}`));
  }
  // This browser now has its own budget for this account (a lockout elsewhere does not reach it).
  const deviceCookie = serializeCookie({ name: ctx.cookies.device, value: issueDeviceCookie(ctx.secretKeys.device, username), maxAge: DEVICE_COOKIE_MAX_AGE, path: `${ctx.basePath}${INTERACTION_PATH}`, secure: ctx.cookies.secure, sameSite: 'Lax' });
  const factor = await hasFactor(ctx.orm.em, user.id);
  if (factor || mfaRequired(ctx.settings, client)) {
    // A second factor to come (docs/ACCOUNTS.md "Two-step sign-in"): no session yet, only the
    // first factor recorded on this interaction; src/interaction/second-factor.ts asks the code,
    // or — the policy requiring one the user has not — src/interaction/enrolment.ts sets it up.
    if (!(await ctx.interactions.firstFactorGiven(uid, { userId: user.id, amr: ['pwd'], at: ctx.clock.now(), ...(factor ? {} : { enrol: true }) }))) return htmlPage(400, errorPage(EXPIRED));
    return redirectResult(action(ctx, uid, factor ? 'mfa' : 'enrol'), [deviceCookie]);
  }
  audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: client.id, ip: req.ip }, 'login succeeded');
  const started = await startSession(ctx, req, uid, user.id, ['pwd'], true, false);
  if (!started) return htmlPage(400, errorPage(EXPIRED)); // a parallel post of this form signed in first
  const { session, cookie } = started;
  return afterLogin(ctx, found, user, session, [cookie, deviceCookie]);
}

/** POST /interaction/:uid/select — continue as the logged-in user, or switch account. */
export async function submitSelect(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await live(ctx, req, uid, form.get('csrf') ?? '');
  if (!found || found.interaction.userId) return htmlPage(400, errorPage(EXPIRED));
  const decision = form.get('decision');
  if (decision === 'switch') return redirectResult(`${providerUrl(ctx, `${INTERACTION_PATH}/${uid}`)}?login=1`);
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  const user = session ? await ctx.orm.em.fork().findOne(User, { id: session.userId, active: true }) : null;
  if (decision !== 'continue' || !session || !user) return htmlPage(400, errorPage(EXPIRED));
  // Only the session this page was offered for, and only while it still satisfies the request.
  if (!continuable(ctx, found, session)) return redirectResult(`${providerUrl(ctx, `${INTERACTION_PATH}/${uid}`)}?login=1`);
  return afterLogin(ctx, found, user, session, []);
}

/** POST /interaction/:uid/consent — decision=allow or decision=deny. */
export async function submitConsent(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await live(ctx, req, uid, form.get('csrf') ?? '');
  if (!found?.interaction.userId) return htmlPage(400, errorPage(EXPIRED));
  const { interaction, request, client } = found;
  // The browser's session must still be the one that logged in here: an account switched in
  // another tab must not consent for the first one (SE-03).
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  if (!session || session.idHash !== interaction.sessionHash || session.userId !== interaction.userId) {
    return htmlPage(400, errorPage({ title: 'Sign-in interrupted', message: 'You are no longer signed in as the same user. Go back to the application and start again.', back: backTo(client) }));
  }
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') return htmlPage(400, errorPage(EXPIRED));
  const user = await ctx.orm.em.fork().findOne(User, { id: session.userId, active: true });
  if (!user) return htmlPage(400, errorPage(EXPIRED));
  if (decision === 'deny') {
    if (!(await ctx.interactions.finish(uid))) return htmlPage(400, errorPage(EXPIRED));
    audit(ctx.logger, 'consent.denied', { outcome: 'refused', actor: user.id, client: client.id, ip: req.ip }, 'consent denied');
    const denied = authorizationError(ctx, new AuthorizationRedirectError(new OAuthError('access_denied', 'the user denied the request'), request.redirectUri, request.state, request.responseMode));
    return { ...denied, setCookies: [clearInteractionCookie(ctx, uid)] };
  }
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes, request.resourceScopes);
  // The claims asked for by name are consented to as the scopes that release them (authorize.ts consentScopes).
  const consented = consentScopes(request, scopes);
  await ctx.consents.grant(user.id, client.id, consented);
  audit(ctx.logger, 'consent.granted', { outcome: 'success', actor: user.id, client: client.id, scopes: consented, ip: req.ip }, 'consent granted');
  return finish(ctx, found, user, { ...session, acr: interaction.login?.acr ?? null }, scopes, []);
}

/** After a login (or a chosen account): consent if needed, otherwise the authorization's end. */
export async function afterLogin(ctx: ProviderContext, found: Live, user: User, session: ProviderSession & { acr?: string | null }, setCookies: string[]): Promise<HttpResult> {
  const { interaction, request, client } = found;
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes, request.resourceScopes);
  if (await needsConsent(ctx, request, client, user.id, scopes)) {
    await ctx.interactions.loggedIn(interaction.uid, user.id, session.authTime, session.idHash);
    return redirectResult(providerUrl(ctx, `${INTERACTION_PATH}/${interaction.uid}`), setCookies);
  }
  return finish(ctx, found, user, session, scopes, setCookies);
}

/** Ends the interaction (once) and answers the client. */
async function finish(ctx: ProviderContext, { interaction, request, client }: Live, user: User, login: LoginFacts, scopes: string[], setCookies: string[]): Promise<HttpResult> {
  if (!(await ctx.interactions.finish(interaction.uid))) return htmlPage(400, errorPage(EXPIRED));
  const cookies = [...setCookies, clearInteractionCookie(ctx, interaction.uid)];
  try {
    return await completeAuthorization(ctx, request, client, user, login, scopes, cookies);
  } catch (e) {
    return { ...authorizationError(ctx, e), setCookies: cookies };
  }
}

/**
 * A fresh session at every login; a session the browser brought is ended (SE-01). The session
 * is claimed for the interaction before it is stored, so of parallel requests exactly one starts
 * one (the others get undefined). `login`: how the user authenticated (`acr`, `amr`), kept on the
 * interaction for the consent that may follow (the fake mode's chosen authentication).
 */
export async function startSession(ctx: ProviderContext, req: ProviderRequest, uid: string, userId: string, amr: string[], persistent: boolean, delegated: boolean, login?: DelegatedLogin): Promise<{ session: ProviderSession; cookie: string } | undefined> {
  // The browser and address the user sees beside the session on their account page (`Me.sessions`).
  const device = sessionDevice(req.header('user-agent'), req.ip);
  const { cookieValue, session } = ctx.sessions.mint(userId, ctx.settings.sessionExpirationTime * 1000, amr, device);
  if (!(await ctx.interactions.claimSession(uid, userId, session.authTime, session.idHash, delegated, login))) return undefined;
  await ctx.sessions.deleteByCookie(req.cookies.get(ctx.cookies.session));
  await ctx.sessions.save(session);
  const cookie = serializeCookie({ name: ctx.cookies.session, value: cookieValue, maxAge: persistent ? ctx.settings.sessionExpirationTime : undefined, path: '/', secure: ctx.cookies.secure, sameSite: 'Lax' });
  return { session, cookie };
}

function clearInteractionCookie(ctx: ProviderContext, uid: string): string {
  return serializeCookie({ name: ctx.cookies.interaction, value: '', maxAge: 0, path: `${ctx.basePath}${INTERACTION_PATH}/${uid}`, secure: ctx.cookies.secure, sameSite: 'Lax' });
}
