/**
 * Setting up a second factor during a sign-in (docs/ACCOUNTS.md "Two-step sign-in", "The
 * policy"): when JWT_OIDC_MFA=required or the client's requireMfa asks a second factor of a user
 * who has none, the right password (or, for a step-up, the live session) leads to
 * GET /interaction/:uid/enrol — an authenticator app's QR code and key, and "Use a passkey" where
 * the browser has WebAuthn. Its POST, with one code of the app, or POST …/enrol/passkey, with the
 * authenticator's answer to the registration (WebAuthn L2 §7.1), turns the factor on, shows the
 * ten recovery codes once, and starts the session with amr ["pwd", "otp", "mfa"] or
 * ["pwd", "hwk"|"swk", "user", "mfa"] (RFC 8176 §2); "Continue" goes on with the authorization.
 *
 * As the second step (src/interaction/second-factor.ts, docs/SECURITY.md PL-*): only the browser
 * of the interaction with the form's CSRF token; codes and answers reserved in the same
 * per-account and per-address budget before they are checked; the enrolments are the
 * interaction's user's, recorded on the interaction, and live no longer than it (a passkey's
 * challenge 5 minutes, issued anew at each rendering). Each is confirmed by one conditional
 * UPDATE (src/users/factor-store.ts), so of parallel posts of one code or answer exactly one
 * starts a session; and only as the user's first factor, so that an app and a passkey set up at
 * once (two tabs) turn one on, and the other is sent to the second step instead.
 */
import { audit } from '../audit.js';
import { User } from '../db/entities/user.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { redirectResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import type { FirstFactor } from '../provider/stores/interaction-store.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import type { Reservation } from '../provider/throttle/shared-throttle.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { hasFactor } from '../users/factor-store.js';
import { FactorService, type TotpEnrolmentStart } from '../users/factors.js';
import { UserError } from '../users/user-service.js';
import { sha256 } from '../util/digest.js';
import { waitInWords } from '../util/wait-words.js';
import { action, EXPIRED, live, startSession, type Live } from './handlers.js';
import { passkeyService, passkeyScripts } from './passkey-offer.js';
import { enrolmentPage, passkeyMethod, recoveryCodesPage, totpMethod } from './views/enrolment.js';
import { errorPage } from './views/error.js';
import { pageCsp } from './views/layout.js';
import { htmlPage } from './views/render.js';

const WRONG_CODE = 'That code is not right. Type the code the app shows now.';
const KEY_REPLACED = 'That key is no longer valid: the set-up was opened again elsewhere. Scan this key instead.';
const PASSKEY_REFUSED = 'That passkey could not be set up. Try again, or use the app.';
const PASSKEY_LATE = 'Setting up the passkey took too long. Try again.';
/** The names the new factor gets; the account page shows them beside others. */
const FACTOR_NAME = 'Authenticator app';
const PASSKEY_NAME = 'Passkey';

type Waiting = Live & { user: User; first: FirstFactor };
type Kind = 'totp' | 'passkey';

/** The interaction, when it waits for its user to set up a second factor (no session started on it yet). */
async function waiting(ctx: ProviderContext, req: ProviderRequest, uid: string, csrf?: string): Promise<Waiting | undefined> {
  const found = await live(ctx, req, uid, csrf);
  const first = found?.interaction.firstFactor;
  if (!found || !first?.enrol || found.interaction.userId) return undefined;
  const user = await ctx.orm.em.fork().findOne(User, { id: first.userId, active: true });
  return user ? { ...found, user, first } : undefined;
}

const factorsOf = (ctx: ProviderContext) => new FactorService({ em: ctx.orm.em, clock: ctx.clock, sealer: ctx.keys.encryption });
/** The name authenticator apps show for the service, as on the account page. */
const issuerName = (ctx: ProviderContext) => new URL(ctx.issuer).host;

/**
 * This interaction's pending TOTP enrolment, or a new one: a reload shows the key the app may
 * have scanned already, and only the enrolment this interaction showed can be confirmed in it.
 */
async function totpEnrolmentOf(ctx: ProviderContext, found: Waiting): Promise<TotpEnrolmentStart> {
  const factors = factorsOf(ctx);
  const shown = found.first.enrolment && (await factors.pendingTotp(found.user, found.first.enrolment, issuerName(ctx)));
  return shown || factors.startTotp(found.user, issuerName(ctx));
}

/**
 * The set-up page, with the app's enrolment and a passkey registration recorded on the
 * interaction: only these two can be confirmed in it. Showing the page (GET) starts a new
 * registration (a new challenge, WebAuthn L2 §13.4.3); the page after a post keeps the
 * interaction's while it is pending, so that it never replaces one that a parallel post is
 * finishing. `on`: the method `error` is about. The expiry page when the interaction ended.
 */
async function render(ctx: ProviderContext, found: Waiting, o: { status?: number; error?: string; on?: Kind; headers?: Record<string, string>; fresh?: boolean } = {}): Promise<HttpResult> {
  const { interaction, request, client, user, first: recorded } = found;
  const totp = await totpEnrolmentOf(ctx, found);
  const passkeys = passkeyService(ctx);
  const kept = !o.fresh && recorded.passkeyEnrolment ? await passkeys.pendingRegistration(user, recorded.passkeyEnrolment) : undefined;
  const passkey = kept ?? (await passkeys.startRegistration(user));
  const first: FirstFactor = { ...found.first, enrolment: totp.id, passkeyEnrolment: passkey.id };
  if (!(await ctx.interactions.firstFactorGiven(interaction.uid, first))) return htmlPage(400, errorPage(EXPIRED));
  const csrfToken = await ctx.interactions.renewCsrf(interaction.uid);
  const scripts = passkeyScripts(ctx);
  const methods = [
    totpMethod({ action: action(ctx, interaction.uid, 'enrol'), csrfToken, qrSvg: totp.qrSvg, secret: totp.secret, error: o.on === 'totp' ? o.error : undefined }),
    passkeyMethod({ action: action(ctx, interaction.uid, 'enrol/passkey'), csrfToken, options: JSON.stringify(passkey.options), label: 'Create a passkey', register: true, scripts }),
  ];
  const requiredBy = ctx.settings.mfa === 'required' ? 'service' : 'client';
  return htmlPage(o.status ?? 200, enrolmentPage({ clientName: client.name, requiredBy, methods, error: o.error, scripts }), { 'Content-Security-Policy': pageCsp(request.redirectUri, true), ...o.headers });
}

/**
 * The user has a factor already — set up meanwhile elsewhere (the account page, another tab of a
 * sign-in, the other method of this page): this interaction asks for it instead (its second step).
 */
async function setUpMeanwhile(ctx: ProviderContext, found: Waiting): Promise<HttpResult> {
  const uid = found.interaction.uid;
  if (!(await ctx.interactions.firstFactorGiven(uid, { ...found.first, enrol: false, enrolment: undefined, passkeyEnrolment: undefined }))) return htmlPage(400, errorPage(EXPIRED));
  return redirectResult(action(ctx, uid, 'mfa'));
}

/**
 * An enrolment that could not be confirmed (gone, or not the user's first factor): when a
 * parallel post of this page confirmed this very one, that post goes on with the sign-in (the
 * expiry page here); when the user has another factor, the second step; otherwise undefined
 * (the page again).
 */
async function afterwards(ctx: ProviderContext, found: Waiting, enrolment: string): Promise<HttpResult | undefined> {
  const factors = await factorsOf(ctx).list(found.user.id);
  if (factors.some((f) => f.id === enrolment)) return htmlPage(400, errorPage(EXPIRED));
  return factors.length > 0 ? setUpMeanwhile(ctx, found) : undefined;
}

/** GET /interaction/:uid/enrol — the ways to set up a second factor (an authenticator app, a passkey). */
export async function showEnrolment(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const found = await waiting(ctx, req, uid);
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  if (await hasFactor(ctx.orm.em, found.user.id)) return setUpMeanwhile(ctx, found);
  return render(ctx, found, { fresh: true });
}

/** The second step's budget (src/interaction/second-factor.ts), reserved before a code or an answer is checked: the same account key, so the pages share it (docs/SECURITY.md SE-04, MF-10). */
function reserve(ctx: ProviderContext, req: ProviderRequest, user: User) {
  return ctx.failures.reserveInTurn([
    { key: `mfa:${user.id.length <= 200 ? user.id : sha256(user.id)}`, limit: ctx.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
}

/**
 * One confirmation (an app's code, a passkey's answer) inside the attempt's reservation, settled
 * whatever happens: refused (a UserError on `refusedField`: a wrong code, an answer that does not
 * verify) or an error counts in the budget; confirmed, an enrolment gone (a parallel post
 * confirmed it, a later page replaced it, it expired) or a factor set up meanwhile (`exists`) is
 * no guess, and is refunded.
 */
async function confirmInBudget<T>(ctx: ProviderContext, reservation: Reservation & { ok: true }, refusedField: string, confirm: () => Promise<T>): Promise<{ outcome: 'confirmed' | 'refused' | 'gone' | 'exists'; value?: T }> {
  let outcome: 'confirmed' | 'refused' | 'gone' | 'exists' | 'error' = 'error';
  let value: T | undefined;
  try {
    value = await confirm();
    outcome = 'confirmed';
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    outcome = e.code === 'ERR_USER_EXISTS' ? 'exists' : e.field === refusedField ? 'refused' : 'gone';
  } finally {
    if (outcome === 'refused' || outcome === 'error') await ctx.failures.failed(reservation);
    else await ctx.failures.succeeded(reservation);
  }
  return { outcome: outcome as 'confirmed' | 'refused' | 'gone' | 'exists', value };
}

/** POST /interaction/:uid/enrol — `method` (totp) and the app's first `code`. */
export async function submitEnrolment(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await waiting(ctx, req, uid, form.get('csrf') ?? '');
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { user, client, first } = found;
  const enrolment = first.enrolment;
  if (!enrolment || form.get('method') !== 'totp') return redirectResult(action(ctx, uid, 'enrol'));
  const code = (form.get('code') ?? '').slice(0, 64);
  const fields = { actor: user.id, client: client.id, ip: req.ip, kind: 'totp' };

  const reservation = await reserve(ctx, req, user);
  if (!reservation.ok) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'refused', ...fields }, 'enrolment code throttled');
    const message = reservation.busy ? 'Another code for this account is being checked. Try again in a moment.' : `Too many wrong codes. Try again in ${waitInWords(reservation.retryAfter)}.`;
    return render(ctx, found, { status: 429, error: message, on: 'totp', headers: { 'Retry-After': String(reservation.retryAfter) } });
  }
  const { outcome, value: codes } = await confirmInBudget(ctx, reservation, 'code', () => factorsOf(ctx).confirmTotp(user.id, enrolment, code, FACTOR_NAME, { firstOnly: true }));
  if (outcome === 'refused') {
    audit(ctx.logger, 'mfa.failed', { outcome: 'failure', ...fields }, 'enrolment not confirmed: wrong code');
    return render(ctx, found, { status: 401, error: WRONG_CODE, on: 'totp' });
  }
  if (outcome === 'exists' || outcome === 'gone') {
    const now = await afterwards(ctx, found, enrolment);
    if (now) return now;
  }
  // Replaced by a set-up opened later (another tab): this page shows the key that now counts.
  if (!codes) return render(ctx, found, { status: 400, error: KEY_REPLACED, on: 'totp' });
  audit(ctx.logger, 'mfa.enrolled', { outcome: 'success', ...fields, factor: enrolment }, 'second factor added at sign-in');
  // The app's code is the second factor of this sign-in (RFC 8176 §2: "otp", and "mfa" for both).
  return enrolled(ctx, req, found, codes, ['otp'], 'totp');
}

/** POST /interaction/:uid/enrol/passkey — `response`: the authenticator's answer to the registration (JSON). */
export async function submitPasskeyEnrolment(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await waiting(ctx, req, uid, form.get('csrf') ?? '');
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { user, client, first } = found;
  const registration = first.passkeyEnrolment;
  if (!registration) return redirectResult(action(ctx, uid, 'enrol'));
  const fields = { actor: user.id, client: client.id, ip: req.ip, kind: 'passkey' };

  const reservation = await reserve(ctx, req, user);
  if (!reservation.ok) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'refused', ...fields }, 'enrolment passkey throttled');
    const message = reservation.busy ? 'Another attempt for this account is being checked. Try again in a moment.' : `Too many failed attempts. Try again in ${waitInWords(reservation.retryAfter)}.`;
    return render(ctx, found, { status: 429, error: message, on: 'passkey', headers: { 'Retry-After': String(reservation.retryAfter) } });
  }
  const { outcome, value: added } = await confirmInBudget(ctx, reservation, 'response', () => passkeyService(ctx).finishRegistration(user.id, registration, form.get('response') ?? '', PASSKEY_NAME, { firstOnly: true }));
  if (outcome === 'refused') {
    audit(ctx.logger, 'mfa.failed', { outcome: 'failure', ...fields, factor: registration }, 'enrolment not confirmed: the passkey did not verify');
    return render(ctx, found, { status: 401, error: PASSKEY_REFUSED, on: 'passkey' });
  }
  if (outcome === 'exists' || outcome === 'gone') {
    const now = await afterwards(ctx, found, registration);
    if (now) return now;
  }
  if (!added?.recoveryCodes) return render(ctx, found, { status: 400, error: PASSKEY_LATE, on: 'passkey' });
  audit(ctx.logger, 'mfa.enrolled', { outcome: 'success', ...fields, factor: registration }, 'second factor added at sign-in');
  // The new key is the second factor of this sign-in, as a passkey at the second step is
  // (src/interaction/passkey-step.ts; RFC 8176 §2: "hwk"/"swk", "user", and "mfa" for both).
  return enrolled(ctx, req, found, added.recoveryCodes, added.amr, 'passkey');
}

/**
 * A factor turned on: its recovery codes, shown once, and the session — a new one with the
 * password's amr, `second`'s and "mfa"; for a step-up the browser's session gains them.
 */
async function enrolled(ctx: ProviderContext, req: ProviderRequest, found: Waiting, codes: string[], second: readonly string[], kind: Kind): Promise<HttpResult> {
  const { user, client, interaction, first } = found;
  const uid = interaction.uid;
  const amr = [...new Set([...first.amr, ...second, 'mfa'])];
  const continueUrl = providerUrl(ctx, `${INTERACTION_PATH}/${uid}`);
  const page = (setCookies: string[], next?: string) => htmlPage(200, recoveryCodesPage({ clientName: client.name, codes, continueUrl: next, kind }), { 'Content-Security-Policy': pageCsp(found.request.redirectUri) }, setCookies);
  if (first.stepUp) {
    // A step-up: the browser's session gains the factor, its sid and auth_time stay (max_age
    // still bounds the password); the interaction then goes on as after a login.
    const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
    if (!session || session.idHash !== interaction.sessionHash || session.userId !== user.id || !(await ctx.sessions.stepUp(session.idHash, user.id, amr))) return page([]);
    await ctx.interactions.loggedIn(uid, user.id, session.authTime, session.idHash);
    return page([], continueUrl);
  }
  audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: client.id, ip: req.ip }, 'login succeeded');
  const started = await startSession(ctx, req, uid, user.id, amr, true, false);
  // Without a session (the interaction ended meanwhile) the factor is on all the same: the codes are shown, the sign-in starts again.
  return started ? page([started.cookie], continueUrl) : page([]);
}
