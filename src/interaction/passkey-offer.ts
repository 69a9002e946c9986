/**
 * What the sign-in pages offer of passkeys (docs/ACCOUNTS.md "Passkeys"): on the second step, the
 * user's passkeys (`allowCredentials`, user verification preferred); on the login page, where
 * JWT_OIDC_PASSKEY_LOGIN is on, any discoverable passkey of this relying party (no
 * `allowCredentials`: the authenticator says whose it is) with user verification required; on the
 * set-up page, a new one (src/interaction/enrolment.ts). Each
 * rendering issues a new challenge, kept on the interaction and spent by the post that answers it
 * (src/interaction/passkey-step.ts).
 */
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { PasskeyService, relyingPartyOf } from '../users/passkeys.js';
import type { PasskeyRow } from '../users/factor-store.js';
import { PASSKEY_SCRIPT_PATH, WEBAUTHN_LIBRARY_PATH, type PasskeyOffer } from './views/passkey.js';

/** The passkey service of this provider: the issuer is the relying party. */
export function passkeyService(ctx: ProviderContext): PasskeyService {
  return new PasskeyService({ em: ctx.orm.em, clock: ctx.clock, rp: relyingPartyOf(ctx.issuer, ctx.settings.productName ?? new URL(ctx.issuer).hostname) });
}

/** The scripts a page with a passkey form loads (the library, then the pages' own). */
export const passkeyScripts = (ctx: ProviderContext) => [providerUrl(ctx, WEBAUTHN_LIBRARY_PATH), providerUrl(ctx, PASSKEY_SCRIPT_PATH)];

/** "Use a passkey" on the second step, for a user with passkeys. */
export async function secondFactorPasskeyOffer(ctx: ProviderContext, uid: string, passkeys: readonly PasskeyRow[], csrfToken: string): Promise<PasskeyOffer | undefined> {
  if (passkeys.length === 0) return undefined;
  const options = await passkeyService(ctx).authenticationOptions(passkeys, 'preferred');
  await ctx.interactions.offerPasskeyChallenge(uid, options.challenge);
  return { action: providerUrl(ctx, `${INTERACTION_PATH}/${uid}/mfa/passkey`), csrfToken, options: JSON.stringify(options), label: 'Use a passkey', scripts: passkeyScripts(ctx) };
}

/** "Sign in with a passkey" on the login page, when PASSKEY_LOGIN is on. */
export async function passkeyLoginOffer(ctx: ProviderContext, uid: string, csrfToken: string): Promise<PasskeyOffer | undefined> {
  if (!ctx.settings.passkeyLogin) return undefined;
  // Discoverable credentials only, and the user verified by the authenticator: the passkey alone
  // must stand for both factors (WebAuthn L2 §6.2.3; src/interaction/passkey-step.ts).
  const options = await passkeyService(ctx).authenticationOptions('discoverable', 'required');
  await ctx.interactions.offerPasskeyChallenge(uid, options.challenge);
  return { action: providerUrl(ctx, `${INTERACTION_PATH}/${uid}/passkey`), csrfToken, options: JSON.stringify(options), label: 'Sign in with a passkey', scripts: passkeyScripts(ctx) };
}
