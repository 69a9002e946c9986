/**
 * Everything the fake provider's endpoints use: its issuer and client, keys, codes, recent
 * identities, the allowed origins, and its access-token verifier (userinfo, GraphQL `me`).
 */
import { join, resolve } from 'node:path';
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { createAccessTokenVerifier, ExpiringLru, type AccessTokenVerifier, type RemoteToken } from '@jwt-oidc/resource';
import { CodeStore } from './codes.js';
import { RecentIdentities, type FakeIdentity } from './identity.js';
import { loadFakeKeys, type FakeKey } from './keys.js';

export const FAKE_IDENTITIES_FILE = 'fake-provider-identities.json';

export interface FakeContext {
  issuer: string;
  clientId: string;
  /** When set, the token endpoint requires it; otherwise the client is public and PKCE is required. */
  clientSecret?: string;
  keys: { id: FakeKey; access: FakeKey; all: FakeKey[] };
  codes: CodeStore;
  /** Who each live access token (by `jti`) was issued to: userinfo answers with that identity. */
  issued: ExpiringLru<string, FakeIdentity>;
  identities: RecentIdentities;
  accessTokenTtl: number;
  idTokenTtl: number;
  /** Whether a frontend on this origin may use the fake (redirect URIs and CORS). */
  isAllowedOrigin(origin: string): boolean;
  verifyAccessToken: AccessTokenVerifier;
  secureCookies: boolean;
  logger: Logger;
  now(): number;
}

/** http(s)://localhost, 127.0.0.0/8 and [::1], any port. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
  } catch {
    return false;
  }
}

/**
 * An absolute http(s) URI without credentials or fragment, on an allowed origin (RFC 6749 §3.1.2),
 * in visible ASCII only: it goes back byte for byte in a Location header, and the URL parser
 * would silently drop a tab or line break that the header cannot carry.
 */
export function isAllowedRedirect(ctx: Pick<FakeContext, 'isAllowedOrigin'>, uri: string): boolean {
  if (/[^\x21-\x7e]/.test(uri)) return false;
  try {
    const url = new URL(uri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !uri.includes('#') && !url.username && !url.password && ctx.isAllowedOrigin(url.origin);
  } catch {
    return false;
  }
}

export async function createFakeContext(settings: Settings, logger: Logger, now: () => number = Date.now): Promise<FakeContext> {
  const all = await loadFakeKeys(settings, logger);
  const id = all.find((k) => k.alg === 'RS256')!;
  const access = all.find((k) => k.alg === 'ES256')!;
  const issuer = settings.issuer!;
  const allowed = new Set(settings.corsAllowedOrigins);
  return {
    issuer,
    clientId: settings.clientId!,
    clientSecret: settings.clientSecret,
    keys: { id, access, all },
    codes: new CodeStore(settings.authorizationCodeExpirationTime, now),
    issued: new ExpiringLru(10_000, now),
    identities: new RecentIdentities(join(resolve(settings.dataDir), FAKE_IDENTITIES_FILE)),
    accessTokenTtl: settings.jwtAccessTokenExpirationTime,
    idTokenTtl: settings.jwtIdTokenExpirationTime,
    isAllowedOrigin: (origin) => (allowed.size > 0 ? allowed.has(origin) : isLoopbackOrigin(origin)),
    verifyAccessToken: createAccessTokenVerifier({
      issuer,
      audience: issuer,
      keys: (header) => {
        const key = all.find((k) => k.kid === header.kid && k.alg === header.alg);
        if (!key) throw new Error('unknown key');
        return key.publicKey;
      },
      algorithms: ['ES256'],
      now,
    }),
    secureCookies: issuer.startsWith('https://'),
    logger,
    now,
  };
}

/** GraphQL `me` in fake mode: callers with the fake's access tokens, their typed identity as userinfo. */
export function fakeCallerSource(ctx: FakeContext): { upstream: { verify(token: string): Promise<RemoteToken>; userinfo(v: RemoteToken): Promise<Record<string, unknown>> } } {
  return {
    upstream: {
      verify: async (token) => ({ ...(await ctx.verifyAccessToken(token)), idToken: false }),
      userinfo: async (v) => identityClaims(ctx, v),
    },
  };
}

/**
 * The claims of the identity an access token was issued to. After a restart a token may outlive
 * the memory of it: then the recent identity with its `sub`, else `sub` alone.
 */
export function identityClaims(ctx: FakeContext, token: { sub: string; claims: { jti?: unknown } }): Record<string, unknown> {
  const identity = ctx.issued.get(String(token.claims.jti)) ?? ctx.identities.all().find((i) => i.sub === token.sub);
  return { ...identity?.claims, sub: token.sub };
}
