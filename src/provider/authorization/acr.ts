/**
 * The authentication context class (`acr`, OIDC Core §2) the service states in tokens: what was
 * achieved, from how the user authenticated (`amr`, RFC 8176). A second factor given
 * (`mfa` in amr: RFC 8176 §2) is `urn:jwt-oidc:mfa`; a password alone states no `acr` — the claim
 * is optional (OIDC Core §2), and tokens of such sign-ins stay as they were before second factors
 * existed. A delegated login app's own `acr` is kept as it said.
 */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { Settings } from '../../config/derive.js';

export const ACR_MFA = 'urn:jwt-oidc:mfa';

/** What discovery lists as `acr_values_supported` (OpenID Connect Discovery 1.0 §3). */
export const ACR_VALUES_SUPPORTED = [ACR_MFA] as const;

/** The `acr` of a sign-in with these `amr` values, when one is stated. */
export function achievedAcr(amr: readonly string[]): string | null {
  return amr.includes('mfa') ? ACR_MFA : null;
}

/**
 * Whether the request asks for a second factor: `acr_values` (OIDC Core §3.1.2.1) naming
 * urn:jwt-oidc:mfa. The service treats it as required, not as a preference: a session without a
 * second factor is stepped up, and a user who has none gets `unmet_authentication_requirements`.
 */
export function wantsMfa(acrValues: readonly string[] | undefined): boolean {
  return acrValues?.includes(ACR_MFA) === true;
}

/**
 * Whether every sign-in to `client` must end with a second factor by policy (docs/ACCOUNTS.md
 * "Two-step sign-in", "The policy"): JWT_OIDC_MFA=required, or the client's `requireMfa`. As with
 * `acr_values`, a session without one is stepped up; unlike it, a user without any factor is
 * asked to set one up rather than refused. Provider mode only: the fake mode signs in with the
 * `acr`/`amr` its page chose (docs/ARCHITECTURE.md "The fake mode").
 */
export function mfaRequired(settings: Pick<Settings, 'type' | 'mfa'>, client: Pick<RegisteredClient, 'requireMfa'>): boolean {
  return settings.type === 'provider' && (settings.mfa === 'required' || client.requireMfa);
}
