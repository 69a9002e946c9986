/**
 * The fake mode's one client, from the settings: `CLIENT_ID`, and `CLIENT_SECRET` when the
 * frontend has one (otherwise it is public, and the provider requires PKCE of it as of any public
 * client). Its redirect and post-logout URIs are any on the allowed origins — `CORS_ALLOWED_ORIGINS`,
 * or any loopback origin when that is empty — and it is first-party: nobody is asked to consent.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ClientRegistryOptions } from '../clients/client-registry.js';
import { GRANT_TYPES, hashSecret, RESPONSE_TYPES, TOKEN_EXCHANGE_GRANT } from '../clients/client-service.js';
import type { Settings } from '../config/load.js';
import { Client } from '../db/entities/client.js';
import type { ClaimsOptions } from '../provider/claims.js';
import { identityOf } from './identities.js';

/** http(s)://localhost, 127.0.0.0/8 and [::1], any port (RFC 8252 §7.3). */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
  } catch {
    return false;
  }
}

/** Whose redirects and CORS calls the fake accepts. */
export function fakeOriginPolicy(settings: Pick<Settings, 'clientId' | 'corsAllowedOrigins'>): NonNullable<ClientRegistryOptions['originPolicy']> {
  const allowed = new Set(settings.corsAllowedOrigins);
  return { clientId: settings.clientId!, isAllowed: (origin) => (allowed.size > 0 ? allowed.has(origin) : isLoopbackOrigin(origin)) };
}

/** Creates the client, or brings it in line with the settings of this start. */
export async function seedFakeClient(orm: MikroORM, settings: Pick<Settings, 'clientId' | 'clientSecret' | 'corsAllowedOrigins'>): Promise<void> {
  const id = settings.clientId!;
  const data = {
    name: id,
    secretHash: settings.clientSecret ? hashSecret(settings.clientSecret) : null,
    sealedSecret: null,
    secretExpiresAt: null,
    redirectUris: [],
    postLogoutRedirectUris: [],
    allowedOrigins: [...settings.corsAllowedOrigins],
    // Every flow a frontend may try: the implicit ones too, as the fake always allowed.
    grantTypes: GRANT_TYPES.filter((g) => g !== 'client_credentials' && g !== TOKEN_EXCHANGE_GRANT),
    responseTypes: [...RESPONSE_TYPES],
    firstParty: true,
    logoutAll: true,
    admin: false,
    // The fake's page chooses acr and amr itself (docs/ARCHITECTURE.md "The fake mode").
    requireMfa: false,
    // JWT_OIDC_REQUIRE_PAR applies to it; the client of its own has no flag to keep.
    requirePar: false,
    requireDpop: false,
    // The default of OIDC Dynamic Client Registration 1.0 §2, which every library verifies.
    idTokenSignedResponseAlg: 'RS256',
  };
  await orm.em.fork().upsert(Client, { id, ...data }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictMergeFields: Object.keys(data) as (keyof typeof data)[] });
}

/** The typed claims, released as they are, at userinfo and in every ID token. */
export const FAKE_CLAIMS: ClaimsOptions = {
  serializer: (user) => identityOf(user).claims,
  exclude: [],
  inIdToken: true,
};
