/**
 * What a token presented to revocation or introspection is: one of our access tokens (a JWS),
 * or one of our refresh tokens (opaque), looked up in the order `token_type_hint` suggests
 * (RFC 7009 §2.1, RFC 7662 §2.1). Anything else is "unknown".
 */
import { compactVerify, decodeJwt } from 'jose';
import { BearerError } from '@jwt-oidc/resource';
import type { ProviderAccessToken } from './access-token.js';
import type { ProviderContext } from './context.js';
import type { RefreshTokenRecord } from './stores/grant-store.js';

export type PresentedToken =
  | { kind: 'access_token'; verified?: ProviderAccessToken; clientId?: string; jti?: string; exp?: number; audiences: string[] }
  | { kind: 'refresh_token'; record: RefreshTokenRecord }
  | { kind: 'unknown' };

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What telling tokens apart uses: our access-token verification and keys, and the refresh tokens. */
export type TokenTypesContext = Pick<ProviderContext, 'issuer' | 'keys' | 'grants' | 'verifyAccessToken'>;

export async function identifyToken(ctx: TokenTypesContext, token: string): Promise<PresentedToken> {
  if (token.length > 8192) return { kind: 'unknown' };
  if (JWS.test(token)) {
    try {
      const verified = await ctx.verifyAccessToken(token);
      return { kind: 'access_token', verified, clientId: verified.clientId, jti: verified.claims.jti, exp: verified.claims.exp, audiences: audiences(verified.claims.aud) };
    } catch (e) {
      if (!(e instanceof BearerError)) throw e;
      // Not alive (expired, revoked…) but perhaps ours: revocation still wants its owner and jti.
      try {
        // Signature only: an expired token of ours may still be revoked (its jti remembered).
        const { protectedHeader } = await compactVerify(token, ctx.keys.getKey);
        const claims = decodeJwt(token);
        if (!/^(application\/)?at\+jwt$/i.test(String(protectedHeader.typ)) || claims.iss !== ctx.issuer) return { kind: 'unknown' };
        return { kind: 'access_token', clientId: typeof claims.client_id === 'string' ? claims.client_id : undefined, jti: claims.jti, exp: claims.exp, audiences: audiences(claims.aud) };
      } catch {
        return { kind: 'unknown' };
      }
    }
  }
  const record = await ctx.grants.findRefreshToken(token);
  return record ? { kind: 'refresh_token', record } : { kind: 'unknown' };
}

function audiences(aud: unknown): string[] {
  return typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}
