/**
 * Which requested scopes a request may get. Unknown scopes are ignored (OIDC Core §3.1.2.1);
 * `admin` only for a user with the admin flag, through a first-party or admin client (so a
 * third-party app cannot even ask an administrator for it).
 */
import type { RegisteredClient } from '../../clients/client-registry.js';

export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
export const ADMIN_SCOPE = 'admin';

export function grantableScopes(requested: readonly string[], client: RegisteredClient, user: { admin: boolean }, apiScopes: readonly string[]): string[] {
  const known = new Set<string>([...STANDARD_SCOPES, ...apiScopes]);
  return requested.filter((s) => known.has(s) || (s === ADMIN_SCOPE && user.admin && (client.firstParty || client.admin)));
}
