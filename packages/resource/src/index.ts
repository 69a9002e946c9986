/**
 * @jwt-oidc/resource: bearer-token verification for resource servers, without any web framework.
 * `RemoteIssuer` trusts an OpenID Provider's access tokens (discovery, a JWKS cache that follows
 * `Cache-Control`, an LRU of verified tokens, userinfo on demand), `IssuerSet` several of them
 * on one API; the other exports are their
 * parts, for servers that hold the keys themselves.
 */
export { bearerFromHeader, bearerFromRequest, tokenInQuery, type RequestQuery } from './bearer.js';
export { BearerError, InsufficientUserAuthenticationError, IssuerUnavailableError, type BearerErrorCode, type DpopChallenge } from './errors.js';
export { requireUserAuthentication, stepUpRequirement, unmetUserAuthentication, userAuthenticationOf, type StepUpRequirement, type UserAuthentication } from './step-up.js';
export { accessTokenHash, dpopFromHeaders, memoryDpopReplayCache, verifyDpopProof, type DpopProofOptions, type DpopReplayCache, type VerifiedDpopProof } from './dpop.js';
export { dpopNonces, parsePublicUrl, refusalHeaders, type CredentialsRequest, type DpopNonces, type DpopOptions, type DpopSupport, type RequestToken } from './dpop-request.js';
export { boundKeyThumbprint, checkTokenBinding, tokenFromAuthorization, type DpopRequestOptions, type PresentedToken } from './dpop-binding.js';
export { issuerFromDiscovery, WELL_KNOWN } from './discovery.js';
export { ExpiringLru } from './lru.js';
export { introspect, isOpaque, type IntrospectionOptions } from './introspection.js';
export { reporter, type RefusalLogger, type RefusalReason, type RejectedEvent, type Reporter, type ReportOptions, type VerifiedEvent } from './report.js';
export { protectedResourceMetadata, RESOURCE_METADATA_WELL_KNOWN, type ProtectedResourceMetadata, type ProtectedResourceMetadataOptions } from './resource-metadata.js';
export { RemoteIssuer, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type TokenVerifier } from './remote.js';
export { IssuerSet, trustedIssuers, type IssuerSetOptions, type SharedIssuerOptions, type TrustedIssuer, type TrustOptions } from './issuers.js';
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
