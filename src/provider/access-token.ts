/**
 * The provider's own access tokens, verified as any resource server would (@jwt-oidc/resource) and then
 * checked for life: the client still registered, the grant not revoked, the user still there and
 * active (docs/SECURITY.md UI-03, UI-05, BR-01…BR-04). Used by userinfo and the GraphQL API.
 */
import { findActiveUser } from '../users/active-user.js';
import type { User } from '../db/entities/user.js';
import { BearerError, createAccessTokenVerifier, type VerifiedAccessToken } from '@jwt-oidc/resource';
import type { JWTVerifyGetKey } from 'jose';
import { KeyUnavailableError } from '../keys/errors.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ClientRegistry } from '../clients/client-registry.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/load.js';
import type { KeyManager } from '../keys/key-manager.js';
import { isGrantId, type GrantStore } from './stores/grant-store.js';

export interface ProviderAccessToken extends VerifiedAccessToken {
  /** The user's grant; absent for client_credentials tokens (sub is then the client) and for tokens exchanged for another issuer's user. */
  grantId?: string;
  /** The user, for tokens issued to one. */
  user?: User;
}

/** Seconds of clock skew accepted on `exp` of our tokens — and on the grant's life, which ends with its last token's. */
export const CLOCK_TOLERANCE = 5;

/** What verifying this provider's access tokens needs: its keys, clients, grants and users. */
export interface AccessTokenVerifierDeps {
  issuer: string;
  keys: Pick<KeyManager, 'getKey'>;
  clock: Clock;
  clients: Pick<ClientRegistry, 'get'>;
  grants: Pick<GrantStore, 'isAccessTokenRevoked' | 'isActive'>;
  orm: MikroORM;
  settings: Pick<Settings, 'jwtAccessTokenExpirationTime'>;
}

/**
 * `resource`: verify a token for one of the registered resources instead (RFC 8707) — its `aud`
 * and its lifetime; introspection describes those too. Userinfo and GraphQL take only their own.
 */
export function providerTokenVerifier(ctx: AccessTokenVerifierDeps, resource?: { id: string; accessTokenLifetime: number | null }): (token: string) => Promise<ProviderAccessToken> {
  const verify = createAccessTokenVerifier({
    issuer: ctx.issuer,
    audience: resource?.id ?? ctx.issuer,
    keys: ownKeys(ctx.keys.getKey),
    now: () => ctx.clock.now(),
    clockTolerance: CLOCK_TOLERANCE,
    // Our own tokens never live longer than the setting says.
    maxLifetime: resource?.accessTokenLifetime ?? ctx.settings.jwtAccessTokenExpirationTime,
    // A cache hit in steady state (client-registry.ts): the client's deletion is seen at once on every instance.
    validate: async (claims) => {
      if (!(await ctx.clients.get(claims.client_id as string))) throw new BearerError('invalid_token', 'the client of this token no longer exists');
      if (claims.grant_id !== undefined && (typeof claims.grant_id !== 'string' || !isGrantId(claims.grant_id))) throw new BearerError('invalid_token', 'the access token\'s grant_id claim is malformed');
    },
  });
  return async (token) => {
    const verified = await verify(token);
    const jti = verified.claims.jti;
    if (typeof jti !== 'string' || jti.length > 64) throw new BearerError('invalid_token', 'the access token lacks a jti claim of this provider');
    if (await ctx.grants.isAccessTokenRevoked(jti)) throw new BearerError('invalid_token', 'the access token has been revoked');
    const grantId = verified.claims.grant_id as string | undefined;
    if (grantId === undefined) {
      if (verified.sub === verified.clientId) return verified; // client_credentials: no user, no grant
      // A user's token without a grant: exchanged for another issuer's user (RFC 8693;
      // docs/SECURITY.md TE-07). Its user must still be there and active.
      const user = await findActiveUser(ctx.orm, verified.sub);
      if (!user) throw new BearerError('invalid_token', 'the user of this token no longer exists or is disabled');
      return { ...verified, user };
    }
    if (!(await ctx.grants.isActive(grantId, CLOCK_TOLERANCE * 1000))) throw new BearerError('invalid_token', 'the access token has been revoked');
    const user = await findActiveUser(ctx.orm, verified.sub);
    if (!user) throw new BearerError('invalid_token', 'the user of this token no longer exists or is disabled');
    return { ...verified, grantId, user };
  };
}

/**
 * Our key set, whose miss (a kid we never published, or one long deleted) is told to the client as
 * such: RFC 6750 §3.1 invalid_token, naming the failed check and nothing of the token.
 */
function ownKeys(getKey: KeyManager['getKey']): JWTVerifyGetKey {
  return (header) => {
    try {
      return getKey(header);
    } catch (e) {
      if (e instanceof KeyUnavailableError) throw new BearerError('invalid_token', 'the access token is not signed by a published key of its issuer');
      throw e;
    }
  };
}
