/**
 * Signing in with a passkey (docs/ACCOUNTS.md "Passkeys"): the posts of the forms that
 * src/interaction/passkey-offer.ts puts on the pages, each carrying the authenticator's answer.
 *
 * - POST /interaction/:uid/mfa/passkey — the second factor, after the password (or a step-up):
 *   a passkey of that user only (WebAuthn L2 §7.2 step 6), throttled exactly as the codes of
 *   src/interaction/second-factor.ts (per account and per address, reserved before the check).
 * - POST /interaction/:uid/passkey — passwordless (JWT_OIDC_PASSKEY_LOGIN): a discoverable
 *   credential names its user by its user handle; user verification required; throttled per
 *   address; refused for an account that could not sign in with its password either.
 *
 * Both need the interaction's cookie and CSRF token (docs/SECURITY.md SE-03), spend the challenge
 * of the page before the answer is verified — one conditional UPDATE, so of parallel posts of
 * one answer exactly one can sign in — and refuse a signature counter that did not increase as
 * a cloned authenticator (WebAuthn L2 §6.1.1), audited as `passkey.cloned`.
 */
import { audit } from '../audit.js';
import { User } from '../db/entities/user.js';
import type { ProviderContext } from '../provider/context.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import type { PasskeyRefusal } from '../users/passkeys.js';
import { PASSKEY_CEREMONY_MS } from '../users/passkeys.js';
import { sha256 } from '../util/digest.js';
import { waitInWords } from '../util/wait-words.js';
import { EXPIRED, afterLogin, live, loginPageResult, startSession } from './handlers.js';
import { passkeyService } from './passkey-offer.js';
import { completeSecondFactor, render, waiting } from './second-factor.js';
import { errorPage } from './views/error.js';
import { htmlPage } from './views/render.js';
import { backTo } from '../provider/http-result.js';

const PASSKEY_REFUSED = 'That passkey could not sign you in. Try again, or use another way below.';
const PASSKEY_LOGIN_REFUSED = 'That passkey could not sign you in. Try again, or sign in with your username and password.';

/** The refusal in the audit log: `passkey.cloned` too for a counter that did not increase. */
function auditRefusal(ctx: ProviderContext, event: 'mfa.failed' | 'login.failure', refusal: PasskeyRefusal, fields: Record<string, unknown>): void {
  const passkey = refusal.passkey;
  const about = { ...fields, kind: 'passkey', reason: refusal.reason, ...(passkey ? { factor: passkey.id, user: passkey.userId } : {}) };
  audit(ctx.logger, event, { outcome: 'failure', ...about }, 'passkey refused');
  if (refusal.reason === 'cloned') audit(ctx.logger, 'passkey.cloned', { outcome: 'refused', ...about, detail: refusal.detail }, 'passkey refused: its signature counter did not increase (a cloned authenticator?)');
}

/** POST /interaction/:uid/mfa/passkey — `response`: the authenticator's answer (JSON). */
export async function submitPasskeySecondFactor(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await waiting(ctx, req, uid, form.get('csrf') ?? '');
  if (!found) return htmlPage(400, errorPage(EXPIRED));
  const { user, client } = found;
  const fields = { actor: user.id, client: client.id, ip: req.ip, kind: 'passkey' };
  // Reserved before the answer is checked, with the same budget as the codes (docs/SECURITY.md MF-10).
  const reservation = await ctx.failures.reserveInTurn([
    { key: `mfa:${user.id.length <= 200 ? user.id : sha256(user.id)}`, limit: ctx.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit },
  ]);
  if (!reservation.ok) {
    audit(ctx.logger, 'mfa.failed', { outcome: 'refused', ...fields }, 'second factor throttled');
    const message = reservation.busy ? 'Another sign-in of this account is being checked. Try again in a moment.' : `Too many failed attempts. Try again in ${waitInWords(reservation.retryAfter)}.`;
    return render(ctx, found, false, 429, message, { 'Retry-After': String(reservation.retryAfter) });
  }
  let result;
  try {
    result = await passkeyService(ctx).verifyAssertion({
      responseJson: form.get('response') ?? '',
      takeChallenge: (challenge) => ctx.interactions.takePasskeyChallenge(uid, challenge, ctx.clock.now() - PASSKEY_CEREMONY_MS),
      userId: user.id,
      requireUserVerification: false,
    });
  } finally {
    if (!result?.ok) await ctx.failures.failed(reservation);
  }
  if (!result.ok) {
    auditRefusal(ctx, 'mfa.failed', result, fields);
    return render(ctx, found, false, 401, PASSKEY_REFUSED);
  }
  await ctx.failures.succeeded(reservation);
  audit(ctx.logger, 'mfa.verified', { outcome: 'success', ...fields, factor: result.passkey.id }, 'second factor accepted');
  // RFC 8176 §2: `hwk` or `swk` for the key, `user` for the presence test; "mfa" with the password.
  return completeSecondFactor(ctx, req, found, result.amr);
}

/** POST /interaction/:uid/passkey — passwordless sign-in (PASSKEY_LOGIN); `response`: the authenticator's answer (JSON). */
export async function submitPasskeyLogin(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const found = await live(ctx, req, uid, form.get('csrf') ?? '');
  if (!ctx.settings.passkeyLogin || !found || found.interaction.userId || found.interaction.firstFactor) return htmlPage(400, errorPage(EXPIRED));
  const { client } = found;
  if (ctx.settings.loginUrl && !ctx.settings.builtInLogin) {
    // The login app alone signs users in (as the password form: src/interaction/handlers.ts).
    audit(ctx.logger, 'login.refused', { outcome: 'refused', client: client.id, ip: req.ip }, 'built-in login refused: a login app is configured');
    return htmlPage(403, errorPage({ title: 'Sign in at the login page', message: 'This service signs you in through its login page. Go back to the application and start again.', back: backTo(client) }));
  }
  // No account is named before the answer is verified: the budget is the address's (SE-04).
  const reservation = await ctx.failures.reserveInTurn([{ key: `login-${addressKey(req.ip)}`, limit: ctx.settings.loginAddressFailureLimit }]);
  if (!reservation.ok) {
    audit(ctx.logger, 'login.throttled', { outcome: 'refused', client: client.id, ip: req.ip, kind: 'passkey' }, 'login throttled');
    return loginPageResult(ctx, found, 429, { error: `Too many failed attempts. Try again in ${waitInWords(reservation.retryAfter)}.` }, { 'Retry-After': String(reservation.retryAfter) });
  }
  let result;
  let user: User | null = null;
  try {
    result = await passkeyService(ctx).verifyAssertion({
      responseJson: form.get('response') ?? '',
      takeChallenge: (challenge) => ctx.interactions.takePasskeyChallenge(uid, challenge, ctx.clock.now() - PASSKEY_CEREMONY_MS),
      requireUserVerification: true,
    });
    // Only an account that its password could sign in too: active, its address confirmed if it waits for it.
    if (result.ok) user = await ctx.orm.em.fork().findOne(User, { id: result.userId, active: true, pendingVerification: false });
  } finally {
    if (!result?.ok || !user) await ctx.failures.failed(reservation);
  }
  const fields = { client: client.id, ip: req.ip };
  if (!result.ok) {
    auditRefusal(ctx, 'login.failure', result, fields);
    return loginPageResult(ctx, found, 401, { error: PASSKEY_LOGIN_REFUSED });
  }
  if (!user) {
    audit(ctx.logger, 'login.refused', { outcome: 'refused', actor: result.userId, ...fields, kind: 'passkey' }, 'login refused: the account is disabled or waits for its address');
    return loginPageResult(ctx, found, 401, { error: PASSKEY_LOGIN_REFUSED });
  }
  await ctx.failures.succeeded(reservation);
  audit(ctx.logger, 'login.success', { outcome: 'success', actor: user.id, ...fields, kind: 'passkey' }, 'login succeeded');
  // Two factors in one gesture, hence "mfa" (RFC 8176 §2: "multiple-factor authentication"):
  // the private key in the authenticator is something the user has (`hwk`/`swk`), and user
  // verification — required here, the UV flag checked — is the authenticator's own local check
  // of something the user knows or is, a PIN or a biometric (WebAuthn L2 §6.2.3: "multi-factor
  // ... in a single step"). RFC 8176 registers no value for "user verified" as such: the method
  // (PIN, fingerprint) is not known to the relying party, so only `user` (presence) is stated
  // beside the key.
  const amr = [...result.amr, 'mfa'];
  const started = await startSession(ctx, req, uid, user.id, amr, true, false);
  if (!started) return htmlPage(400, errorPage(EXPIRED)); // a parallel post signed in first
  return afterLogin(ctx, found, user, started.session, [started.cookie]);
}
