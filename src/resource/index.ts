/** Bearer-token verification for resource servers, without any web framework. */
export { bearerFromHeader } from './bearer.js';
export { BearerError, type BearerErrorCode } from './errors.js';
export { ASYMMETRIC_ALGORITHMS, createAccessTokenVerifier, requireScopes, type AccessTokenVerifier, type AccessTokenVerifierOptions, type VerifiedAccessToken } from './verifier.js';
