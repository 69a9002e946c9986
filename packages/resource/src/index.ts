/**
 * @jwt-oidc/resource: bearer-token verification for resource servers, without any web framework.
 * `RemoteIssuer` trusts an OpenID Provider's access tokens (discovery, a JWKS cache that follows
 * `Cache-Control`, an LRU of verified tokens, userinfo on demand); the other exports are its
 * parts, for servers that hold the keys themselves.
 */
export { bearerFromHeader, bearerFromRequest, tokenInQuery, type RequestQuery } from './bearer.js';
export { BearerError, IssuerUnavailableError, type BearerErrorCode } from './errors.js';
export { issuerFromDiscovery, WELL_KNOWN } from './discovery.js';
export { ExpiringLru } from './lru.js';
export { RemoteIssuer, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken } from './remote.js';
export { createRemoteKeySet, RemoteKeySetError, type RemoteKeySetOptions } from './remote-jwks.js';
export type { Userinfo } from './userinfo.js';
export { ASYMMETRIC_ALGORITHMS, JWS_ALGORITHMS, type AsymmetricAlgorithm, type JwsAlgorithmSpec } from './jws.js';
export {
  assertCompactJws,
  createAccessTokenVerifier,
  requireScopes,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type VerifiedAccessToken,
} from './verifier.js';
