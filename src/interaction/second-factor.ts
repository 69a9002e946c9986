/**
 * The second step of a sign-in (docs/ACCOUNTS.md "Two-step sign-in"): after the right password
 * of a user with a confirmed factor, GET /interaction/:uid/mfa asks for the code of their
 * authenticator app (or a recovery code), and its POST starts the session.
 *
 * As the password form (docs/SECURITY.md SE-*): only the browser of the interaction with the
 * form's CSRF token; attempts reserved before the code is checked, per account and per address in
 * PostgreSQL across instances; each TOTP time step accepted once per factor (RFC 6238 §5.2, a
 * compare-and-set in src/users/factor-store.ts), each recovery code once. The step lives as long
 * as the interaction. A TOTP code signs in with amr ["pwd", "otp", "mfa"], a recovery code with
 * ["pwd", "mfa"] (RFC 8176 §2); both state acr urn:jwt-oidc:mfa (src/provider/authorization/acr.ts).
 * A step-up (acr_values asking urn:jwt-oidc:mfa of a session with a password only:
 * src/provider/authorization/authorize.ts) asks this step alone and upgrades that session. A user
 * with passkeys is offered "Use a passkey" too (src/interaction/passkey-step.ts).
 */
import { audit } from '../audit.js';
import { User } from '../db/entities/user.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import { FactorService } from '../users/factors.js';
import { sha256 } from '../util/digest.js';
import { waitInWords } from '../util/wait-words.js';
import { action, afterLogin, EXPIRED, live, startSession, type Live } from './handlers.js';
import { pageCsp } from './views/layout.js';
import { errorPage } from './views/error.js';
import { htmlPage } from './views/render.js';
import { secondFactorPage } from './views/second-factor.js';
import { passkeyService, secondFactorPasskeyOffer } from './passkey-offer.js';

const WRONG_CODE = 'That code is not right. Try the code the app shows now.';
const WRONG_RECOVERY_CODE = 'That recovery code is not right, or it was used before.';

/** The interaction, when it waits for a second factor (the password given, no session yet). */
export async function waiting(ctx: ProviderContext, req: ProviderRequest, uid: string, csrf?: string): Promise<(Live & { user: User }) | undefined> {
  const found = await live(ctx, req, uid, csrf);
  const first = found?.interaction.firstFactor;
  if (!found || !first || found.interaction.userId) return undefined;
  const user = await ctx.orm.em.fork().findOne(User, { id: first.userId, active: true });
  return user ? { ...found, user } : undefined;
}

/** The step's page (the code form, or the recovery-code form), with "Use a passkey" for a user with passkeys. */
export async function render(ctx: ProviderContext, found: Live & { user: User }, recovery: boolean, status = 200, error?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const { interaction, request, client } = found;
  const page = providerUrl(ctx, `${INTERACTION_PATH}/${interaction.uid}/mfa`);
  const csrfToken = await ctx.interactions.renewCsrf(interaction.uid);
  const factors = await new FactorService({ em: ctx.orm.em, clock: ctx.clock, sealer: ctx.keys.encryption }).list(found.user.id);
  const totp = factors.some((f) => f.kind === 'totp');
  const passkey = recovery ? undefined : await secondFactorPasskeyOffer(ctx, interaction.uid, await passkeyService(ctx).list(found.user.id), csrfToken);
  return htmlPage(status, secondFactorPage({ action: action(ctx, interaction.uid, 'mfa'), csrfToken, clientName: client.name, recovery, otherUrl: recovery ? page : `${page}?recovery=1`, error, totp, passkey }), { 'Content-Security-Policy': pageCsp(request.redirectUri, passkey !== undefined), ...headers });
}

/** GET /interaction/:uid/mfa — the code form (`?recovery=1`: the recovery-code form). */
export async function showSecondFactor(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const found = await waiting(ctx, req, uid);
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  return render(ctx, found, req.query.recovery === '1');
}

/** POST /interaction/:uid/mfa — `kind` (totp or recovery) and `code`. */
export async function submitSecondFactor(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await waiting(ctx, req, uid, form.get('csrf') ?? '');
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { user, client } = found;
  const recovery = form.get('kind') === 'recovery';
  const code = (form.get('code') ?? '').slice(0, 64);
  const fields = { actor: user.id, client: client.id, ip: req.ip, kind: recovery ? 'recovery' : 'totp' };

  // Reserved before the code is checked, as passwords are (docs/SECURITY.md SE-04): a million
  // codes are not guessed a few at a time at many instances.
  const reservation = await ctx.failures.reserveInTurn([
    { key: `mfa:${user.id.length <= 200 ? user.id : sha256(user.id)}`, limit: ctx.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  if (!reservation.ok) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'refused', ...fields }, 'second factor throttled');
    const message = reservation.busy ? 'Another code for this account is being checked. Try again in a moment.' : `Too many wrong codes. Try again in ${waitInWords(reservation.retryAfter)}.`;
    return render(ctx, found, recovery, 429, message, { 'Retry-After': String(reservation.retryAfter) });
  }
  const factors = new FactorService({ em: ctx.orm.em, clock: ctx.clock, sealer: ctx.keys.encryption });
  let valid = false;
  try {
    valid = recovery ? await factors.verifyRecoveryCode(user.id, code) : await factors.verifyTotp(user.id, code);
  } finally {
    if (!valid) await ctx.failures.failed(reservation);
  }
  if (!valid) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'failure', ...fields }, 'second factor refused');
    return render(ctx, found, recovery, 401, recovery ? WRONG_RECOVERY_CODE : WRONG_CODE);
  }
  await ctx.failures.succeeded(reservation);
  audit(ctx.logger, 'mfa.verified', { outcome: 'success', ...fields }, 'second factor accepted');
  // RFC 8176 §2: "otp" for the app's code; "mfa" for more than one factor (a recovery code is a
  // second something-you-have, without a registered value of its own).
  return completeSecondFactor(ctx, req, found, recovery ? [] : ['otp']);
}

/**
 * The second factor accepted (a code, a recovery code, a passkey: src/interaction/passkey-step.ts):
 * the session starts with the first factor's amr, `second`'s and "mfa" (RFC 8176 §2) — or, for a
 * step-up, the browser's session gains them.
 */
export async function completeSecondFactor(ctx: ProviderContext, req: ProviderRequest, found: Live & { user: User }, second: readonly string[]): Promise<HttpResult> {
  const { user, client, interaction } = found;
  audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, client: client.id, ip: req.ip }, 'login succeeded');
  const amr = [...new Set([...(interaction.firstFactor?.amr ?? ['pwd']), ...second, 'mfa'])];
  if (interaction.firstFactor?.stepUp) {
    // A step-up: the browser's session (the one the request came with) gains the second factor;
    // its auth_time stays, so max_age still bounds the older factor.
    const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
    if (!session || session.idHash !== interaction.sessionHash || session.userId !== user.id || !(await ctx.sessions.stepUp(session.idHash, user.id, amr))) {
      return htmlPage(400, errorPage({ title: 'Sign-in interrupted', message: 'You are no longer signed in as the same user. Go back to the application and start again.' }));
    }
    return afterLogin(ctx, found, user, { ...session, amr }, []);
  }
  const started = await startSession(ctx, req, interaction.uid, user.id, amr, true, false);
  if (!started) return htmlPage(400, errorPage(EXPIRED)); // a parallel post signed in first
  return afterLogin(ctx, found, user, started.session, [started.cookie]);
}
