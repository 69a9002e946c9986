/**
 * The authentication context class (`acr`, OIDC Core §2) the service states in tokens: what was
 * achieved, from how the user authenticated (`amr`, RFC 8176). A second factor given
 * (`mfa` in amr: RFC 8176 §2) is `urn:jwt-oidc:mfa`; a password alone states no `acr` — the claim
 * is optional (OIDC Core §2), and tokens of such sign-ins stay as they were before second factors
 * existed. A delegated login app's own `acr` is kept as it said.
 */
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
