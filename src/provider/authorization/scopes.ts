/**
 * Which requested scopes a request may get. Unknown scopes are ignored (OIDC Core §3.1.2.1);
 * `admin` only for a user with the admin flag, through a first-party or admin client (so a
 * third-party app cannot even ask an administrator for it).
 */
import type { RegisteredClient } from '../../clients/client-registry.js';

export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
export const ADMIN_SCOPE = 'admin';
/**
 * Changing the user's own profile (`updateMe`). `profile` is read access (OIDC Core §5.4); a
 * third-party application that may write must ask for this, which the consent page shows as
 * write access. First-party clients write with `profile`.
 */
export const PROFILE_WRITE_SCOPE = 'profile:write';
/** The scopes of this provider, as discovery lists them (besides the deployment's API scopes). */
export const PROVIDER_SCOPES = [...STANDARD_SCOPES, PROFILE_WRITE_SCOPE] as const;

/** Whether a token's holder may change the user's profile: write scope, or a first-party client with `profile`. */
export function mayWriteProfile(scopes: readonly string[], client: Pick<RegisteredClient, 'firstParty'> | undefined): boolean {
  return scopes.includes(PROFILE_WRITE_SCOPE) || (client?.firstParty === true && scopes.includes('profile'));
}

/**
 * Whether a token's holder may manage the user's account itself — list and end their sessions,
 * list and remove their connected apps, change their password (`Me.sessions`, `Me.connectedApps`,
 * `endMySession`, `revokeMyGrant`, `changeMyPassword`): the rule of `mayWriteProfile`, and only
 * for a first-party client (the service's own pages and apps). A third-party application never
 * may, whatever its scopes: `profile:write` lets it edit a profile the user sees on the consent
 * page, not sign the user out everywhere, cut other apps off or lock the user out of the account.
 */
export function mayManageAccount(scopes: readonly string[], client: Pick<RegisteredClient, 'firstParty'> | undefined): boolean {
  return client?.firstParty === true && mayWriteProfile(scopes, client);
}

/** `resourceScopes`: those of the request's registered resources (RFC 8707), which never include `admin`. */
export function grantableScopes(requested: readonly string[], client: RegisteredClient, user: { admin: boolean }, apiScopes: readonly string[], resourceScopes: readonly string[] = []): string[] {
  const known = new Set<string>([...PROVIDER_SCOPES, ...apiScopes, ...resourceScopes.filter((s) => s !== ADMIN_SCOPE)]);
  return requested.filter((s) => known.has(s) || (s === ADMIN_SCOPE && user.admin && (client.firstParty || client.admin)));
}
