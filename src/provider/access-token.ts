/**
 * Verifying an access token of this provider (RFC 9068 §4): our published keys only, each with
 * its own algorithm; `typ` at+jwt (any letter case, with or without `application/`); `iss`
 * exactly; `aud` naming this provider; not expired; and still alive: its grant not revoked, its
 * client and user still there (SECURITY-CASES UI-03, UI-05, BR-01…BR-04).
 */
import { errors as joseErrors, type JWTPayload } from 'jose';
import { User } from '../db/entities/user.js';
import type { ProviderContext } from './context.js';
import { invalidToken } from './errors.js';
import { spaceList } from './params.js';

export interface VerifiedAccessToken {
  sub: string;
  clientId: string;
  scopes: string[];
  /** The user's grant; absent for client_credentials tokens (sub is then the client). */
  grantId?: string;
  /** The user, for tokens issued to one. */
  user?: User;
  claims: JWTPayload;
}

/** Tokens longer than this are refused before any parsing (a JWT of ours is well under 2 kB). */
const MAX_TOKEN_LENGTH = 8192;
/** Our own clocks agree; a little tolerance for the instant between two instances. */
const CLOCK_TOLERANCE_S = 5;

export async function verifyAccessToken(ctx: ProviderContext, token: string): Promise<VerifiedAccessToken> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('the access token is too long');
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await ctx.keys.verify(token, {
      issuer: ctx.issuer,
      audience: ctx.issuer,
      typ: 'at+jwt',
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'client_id', 'jti', 'iat', 'exp'],
    }));
  } catch (e) {
    throw invalidToken(e instanceof joseErrors.JWTExpired ? 'the access token has expired' : 'the access token is invalid');
  }
  const clientId = claims.client_id;
  const scope = claims.scope ?? '';
  if (typeof clientId !== 'string' || typeof scope !== 'string' || typeof claims.sub !== 'string') throw invalidToken('the access token is invalid');
  if (!ctx.clients.get(clientId)) throw invalidToken('the client of this token no longer exists');
  const result: VerifiedAccessToken = { sub: claims.sub, clientId, scopes: spaceList(scope), claims };
  const grantId = claims.grant_id;
  if (grantId === undefined) return result; // client_credentials: no user, no grant
  if (typeof grantId !== 'string' || !/^[0-9a-f-]{36}$/.test(grantId) || !(await ctx.grants.isActive(grantId))) throw invalidToken('the access token has been revoked');
  const user = await ctx.orm.em.fork().findOne(User, { id: claims.sub, active: true });
  if (!user) throw invalidToken('the user of this token no longer exists or is disabled');
  return { ...result, grantId, user };
}
