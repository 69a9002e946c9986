/**
 * The per-client extras of django-jwt-oidc (README "The provider"): extra ID-token claims read
 * from allow-listed user fields and released only with their scope, and user restrictions
 * (deny-lists).
 */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { User } from '../../db/entities/user.js';

/** Only these user fields can feed claims or restrictions: no secrets, no flags. */
const READABLE: Record<string, (u: User) => unknown> = {
  username: (u) => u.username,
  email: (u) => u.email ?? undefined,
  emailVerified: (u) => u.emailVerified,
  givenName: (u) => u.givenName ?? undefined,
  familyName: (u) => u.familyName ?? undefined,
  locale: (u) => u.locale ?? undefined,
  picture: (u) => u.picture ?? undefined,
};

export function extraIdTokenClaims(client: RegisteredClient, user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const [claim, { field, scope }] of Object.entries(client.extraIdTokenClaims)) {
    const read = READABLE[field];
    if (!read || !scopes.includes(scope)) continue;
    const value = read(user);
    if (value !== undefined && value !== null) claims[claim] = value;
  }
  return claims;
}

/** Whether a restriction of the client matches the user (case-insensitive for text fields). */
export function isRestricted(client: RegisteredClient, user: User): boolean {
  return client.userRestrictions.some(({ field, equals }) => {
    const value = READABLE[field]?.(user);
    return value !== undefined && value !== null && String(value).toLowerCase() === equals.toLowerCase();
  });
}
