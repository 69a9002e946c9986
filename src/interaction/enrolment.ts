/**
 * Setting up a second factor during a sign-in (docs/ACCOUNTS.md "Two-step sign-in", "The
 * policy"): when JWT_OIDC_MFA=required or the client's requireMfa asks a second factor of a user
 * who has none, the right password (or, for a step-up, the live session) leads to
 * GET /interaction/:uid/enrol — an authenticator app's QR code and key — and its POST, with one
 * code of the app, turns the factor on, shows the ten recovery codes once, and starts the session
 * with amr ["pwd", "otp", "mfa"] (RFC 8176 §2); "Continue" goes on with the authorization.
 *
 * As the second step (src/interaction/second-factor.ts, docs/SECURITY.md PL-*): only the browser
 * of the interaction with the form's CSRF token; codes reserved in the same per-account and
 * per-address budget before they are checked; the enrolment is the interaction's user's, recorded
 * on the interaction, and lives no longer than it. The enrolment is confirmed by one conditional
 * UPDATE (src/users/factor-store.ts), so of parallel posts of one code exactly one starts a session.
 */
import { audit } from '../audit.js';
import { User } from '../db/entities/user.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { redirectResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import type { FirstFactor } from '../provider/stores/interaction-store.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { hasFactor } from '../users/factor-store.js';
import { FactorService, type TotpEnrolmentStart } from '../users/factors.js';
import { UserError } from '../users/user-service.js';
import { sha256 } from '../util/digest.js';
import { waitInWords } from '../util/wait-words.js';
import { action, EXPIRED, live, startSession, type Live } from './handlers.js';
import { enrolmentPage, recoveryCodesPage, totpMethod } from './views/enrolment.js';
import { errorPage } from './views/error.js';
import { pageCsp } from './views/layout.js';
import { htmlPage } from './views/render.js';

const WRONG_CODE = 'That code is not right. Type the code the app shows now.';
/** The name the new factor gets; the account page can show it beside others. */
const FACTOR_NAME = 'Authenticator app';

type Waiting = Live & { user: User; first: FirstFactor };

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
 * This interaction's pending enrolment, or a new one recorded on it: a reload shows the key the
 * app may have scanned already, and only the enrolment this interaction showed can be confirmed
 * in it. Undefined when the interaction ended meanwhile.
 */
async function enrolmentOf(ctx: ProviderContext, found: Waiting): Promise<TotpEnrolmentStart | undefined> {
  const factors = factorsOf(ctx);
  const shown = found.first.enrolment && (await factors.pendingTotp(found.user, found.first.enrolment, issuerName(ctx)));
  if (shown) return shown;
  const started = await factors.startTotp(found.user, issuerName(ctx));
  const recorded = await ctx.interactions.firstFactorGiven(found.interaction.uid, { ...found.first, enrolment: started.id });
  return recorded ? started : undefined;
}

async function render(ctx: ProviderContext, found: Waiting, enrolment: TotpEnrolmentStart, status = 200, error?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const { interaction, request, client } = found;
  const csrfToken = await ctx.interactions.renewCsrf(interaction.uid);
  const methods = [totpMethod({ action: action(ctx, interaction.uid, 'enrol'), csrfToken, qrSvg: enrolment.qrSvg, secret: enrolment.secret, error })];
  const requiredBy = ctx.settings.mfa === 'required' ? 'service' : 'client';
  return htmlPage(status, enrolmentPage({ clientName: client.name, requiredBy, methods, error }), { 'Content-Security-Policy': pageCsp(request.redirectUri), ...headers });
}

/** GET /interaction/:uid/enrol — the ways to set up a second factor (an authenticator app). */
export async function showEnrolment(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const found = await waiting(ctx, req, uid);
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  if (await hasFactor(ctx.orm.em, found.user.id)) {
    // Set up meanwhile elsewhere (the account page in another tab): its code is asked instead.
    if (!(await ctx.interactions.firstFactorGiven(uid, { ...found.first, enrol: false, enrolment: undefined }))) return htmlPage(400, errorPage(EXPIRED));
    return redirectResult(action(ctx, uid, 'mfa'));
  }
  const enrolment = await enrolmentOf(ctx, found);
  if (!enrolment) return htmlPage(400, errorPage(EXPIRED));
  return render(ctx, found, enrolment);
}

/** POST /interaction/:uid/enrol — `method` (totp) and the app's first `code`. */
export async function submitEnrolment(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await waiting(ctx, req, uid, form.get('csrf') ?? '');
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { user, client, interaction, first } = found;
  const enrolment = first.enrolment;
  if (!enrolment || form.get('method') !== 'totp') return redirectResult(action(ctx, uid, 'enrol'));
  const code = (form.get('code') ?? '').slice(0, 64);
  const fields = { actor: user.id, client: client.id, ip: req.ip, kind: 'totp' };

  // The second step's budget (src/interaction/second-factor.ts), reserved before the code is
  // checked: the same account key, so the two pages share it (docs/SECURITY.md SE-04, MF-10).
  const reservation = await ctx.failures.reserveInTurn([
    { key: `mfa:${user.id.length <= 200 ? user.id : sha256(user.id)}`, limit: ctx.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  const again = async (status: number, error: string, headers: Record<string, string> = {}) => {
    const shown = await factorsOf(ctx).pendingTotp(user, enrolment, issuerName(ctx));
    return shown ? render(ctx, found, shown, status, error, headers) : htmlPage(400, errorPage(EXPIRED));
  };
  if (!reservation.ok) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'refused', ...fields }, 'enrolment code throttled');
    const message = reservation.busy ? 'Another code for this account is being checked. Try again in a moment.' : `Too many wrong codes. Try again in ${waitInWords(reservation.retryAfter)}.`;
    return again(429, message, { 'Retry-After': String(reservation.retryAfter) });
  }
  let codes: string[] | undefined;
  // Settled whatever happens: a wrong code or an error counts; an enrolment gone (a parallel post
  // confirmed it, or it expired) is no code checked, and is refunded.
  let outcome: 'confirmed' | 'wrong' | 'gone' | 'error' = 'error';
  try {
    codes = await factorsOf(ctx).confirmTotp(user.id, enrolment, code, FACTOR_NAME);
    outcome = 'confirmed';
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    outcome = e.field === 'code' ? 'wrong' : 'gone';
  } finally {
    if (outcome === 'wrong' || outcome === 'error') await ctx.failures.failed(reservation);
    else await ctx.failures.succeeded(reservation);
  }
  const wrong = outcome === 'wrong';
  if (wrong) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'failure', ...fields }, 'enrolment not confirmed: wrong code');
    return again(401, WRONG_CODE);
  }
  if (!codes) return htmlPage(400, errorPage(EXPIRED));
  audit(ctx.logger, 'mfa.enrolled', { outcome: 'success', ...fields, factor: enrolment }, 'second factor added at sign-in');

  // The app's code is the second factor of this sign-in (RFC 8176 §2: "otp", and "mfa" for both).
  const amr = [...new Set([...first.amr, 'otp', 'mfa'])];
  const continueUrl = providerUrl(ctx, `${INTERACTION_PATH}/${uid}`);
  const page = (setCookies: string[], next?: string) => htmlPage(200, recoveryCodesPage({ clientName: client.name, codes: codes!, continueUrl: next }), { 'Content-Security-Policy': pageCsp(found.request.redirectUri) }, setCookies);
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
