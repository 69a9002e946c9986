/**
 * Verifying OAuth 2.0 access tokens as JWTs (RFC 9068 §4) for any resource server: keys from a
 * pinned source only (never from `jku`/`jwk`/`x5u` in the token; jose key sets), the signature
 * with node:crypto (jws.ts), an algorithm
 * allow-list of asymmetric algorithms, `typ` at+jwt, the exact issuer, the audience, expiry with
 * a small tolerance, and then whatever the caller adds (revocation…). The provider's own GraphQL
 * API, its userinfo endpoint and the `jwt-oidc/apollo` plugin all verify through this module.
 */
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { ASYMMETRIC_ALGORITHMS, JwsInvalid, verifyJwsSignature, type JwsFailure } from './jws.js';
import { BearerError, IssuerUnavailableError } from './errors.js';

export interface AccessTokenVerifierOptions {
  /** The issuer, compared byte for byte. */
  issuer: string;
  /** This resource server: the token's `aud` must contain one of these. */
  audience: string | string[];
  /** Where keys come from: a JWKS (jose `createRemoteJWKSet`, `createLocalJWKSet`) or a function. */
  keys: JWTVerifyGetKey;
  /** Allowed algorithms (default: every asymmetric JWS algorithm; `none` and HMAC never). */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat` (default 5). */
  clockTolerance?: number;
  /** Refuse tokens longer than this many characters before parsing them (default 8192). */
  maxTokenLength?: number;
  /** Refuse tokens whose `exp - iat` exceeds this many seconds (default: no bound). */
  maxLifetime?: number;
  /** The current time (default: the system clock), for tests. */
  now?: () => number;
  /** Further checks on the verified claims (revocation…); throw a BearerError to refuse. */
  validate?: (claims: JWTPayload) => Promise<void> | void;
}

export interface VerifiedAccessToken {
  token: string;
  sub: string;
  /** `client_id` (RFC 9068 §2.2). */
  clientId: string;
  /** `scope`, split. */
  scopes: string[];
  claims: JWTPayload;
}

export type AccessTokenVerifier = (token: string) => Promise<VerifiedAccessToken>;

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const verify = compactTokenVerifier(options);
  const maxLength = options.maxTokenLength ?? 8192;
  return async (token) => {
    if (typeof token !== 'string' || token.length === 0) throw new BearerError('invalid_token', 'the access token is missing');
    if (token.length > maxLength) throw new BearerError('invalid_token', `the access token is longer than ${maxLength} characters`);
    assertCompactJws(token);
    return verify(token);
  };
}

/**
 * createAccessTokenVerifier for a caller that has refused too long tokens and checked the compact
 * form itself (assertCompactJws): the signature and the claims, without doing those twice.
 */
export function compactTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const algorithms = [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)];
  if (algorithms.some((a) => /^(none|HS\d+)$/i.test(a))) throw new TypeError('symmetric algorithms and "none" cannot verify access tokens from a public key set');
  return async (token) => {
    let claims: JWTPayload;
    try {
      claims = checkClaims(await verifyJwsSignature(token, options.keys, algorithms), options);
    } catch (e) {
      // A key source that cannot answer says nothing about the token.
      if (e instanceof IssuerUnavailableError) throw e;
      if (e instanceof BearerError) throw e;
      throw new BearerError('invalid_token', signatureFailure(e, algorithms));
    }
    const { sub, client_id: clientId, scope = '' } = claims as { sub: unknown; client_id: unknown; scope?: unknown };
    if (typeof sub !== 'string' || sub === '' || typeof clientId !== 'string' || typeof scope !== 'string') {
      throw new BearerError('invalid_token', 'the access token\'s sub, client_id or scope claim is malformed');
    }
    await options.validate?.(claims);
    return { token, sub, clientId, scopes: scope.split(' ').filter(Boolean), claims };
  };
}

/**
 * What a client is told when the signature check fails (RFC 6750 §3.1 error_description): the
 * check that failed, in general terms, never the token's contents. Like every description here it
 * stays within the characters RFC 6750 §3 allows (printable ASCII without `"` and `\\`): the
 * same text is the GraphQL error message and the `WWW-Authenticate` error_description.
 */
function signatureFailure(e: unknown, algorithms: readonly string[]): string {
  const reason: JwsFailure | undefined = e instanceof JwsInvalid ? e.reason : undefined;
  switch (reason) {
    case 'json':
      return 'the access token\'s header or payload is not a JSON object';
    case 'alg':
      return `the access token's algorithm (alg) is not one of ${algorithms.join(', ')}`;
    case 'extension':
      return 'the access token uses a JWS extension (crit, b64) that this server does not support';
    case 'key':
      return 'the access token\'s signing key does not fit its algorithm (alg)';
    case 'signature':
      return 'the access token\'s signature does not verify';
  }
  // jose's key sets: no key with the token's kid and alg (RFC 7517 §4.5), e.g. a token of another issuer.
  if ((e as { code?: unknown } | null)?.code === 'ERR_JWKS_NO_MATCHING_KEY') return 'the access token is not signed by a published key of its issuer';
  return 'the access token is invalid';
}

/**
 * The claims of RFC 9068 §4 on a verified JWS: `typ` at+jwt (without case, `application/`
 * optional: RFC 7515 §4.1.9), the exact issuer, an audience of ours, `exp` with the tolerance,
 * `nbf` if present, `iat` not in the future, and a lifetime within `maxLifetime`
 * (RFC 8725 §3.10; docs/SECURITY.md JW-13). NumericDates (RFC 7519 §2) must be sane numbers:
 * `exp: 1e308` would otherwise never expire.
 */
function checkClaims({ header, payload }: { header: { typ?: unknown }; payload: JWTPayload }, options: AccessTokenVerifierOptions): JWTPayload {
  const invalid = (why: string) => new BearerError('invalid_token', why);
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
  if (typ !== 'at+jwt') throw invalid('the access token is not an RFC 9068 access token (typ is not at+jwt)');
  for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'client_id']) if (!(claim in payload)) throw invalid(`the access token lacks the ${claim} claim (RFC 9068)`);
  // Our issuer is public (discovery); the token's own claims are never echoed.
  if (payload.iss !== options.issuer) throw invalid(`the access token's issuer is not ${options.issuer}`);
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const ours = Array.isArray(options.audience) ? options.audience : [options.audience];
  if (!audiences.some((a) => typeof a === 'string' && ours.includes(a))) throw invalid('the access token was issued for another audience');
  const now = (options.now?.() ?? Date.now()) / 1000;
  const tolerance = options.clockTolerance ?? 5;
  const { exp, iat, nbf } = payload;
  if (!numericDate(exp) || !numericDate(iat) || (nbf !== undefined && !numericDate(nbf))) throw invalid('the access token\'s exp, iat or nbf is not a NumericDate (RFC 7519)');
  if (exp <= now - tolerance) throw invalid('the access token has expired');
  if (nbf !== undefined && nbf > now + tolerance) throw invalid('the access token is not valid yet');
  if (iat > now + tolerance) throw invalid('the access token was issued in the future');
  if (options.maxLifetime !== undefined && exp - iat > options.maxLifetime + tolerance) throw invalid('the access token lives longer than allowed');
  return payload;
}

/** Seconds since the epoch, finite and within what a double counts exactly. */
function numericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
}

/**
 * One spelling per token: three unpadded base64url segments whose header and payload decode to
 * JSON objects, with no byte-order mark (RFC 7515 §7.1; RFC 7519 §7.2; docs/SECURITY.md JW-11, JW-15).
 * jose would accept `=` padding and strip a BOM.
 */
export function assertCompactJws(token: string): void {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) throw new BearerError('invalid_token', 'the access token is not a compact JWS');
  const [header, payload] = token.split('.') as [string, string];
  for (const segment of [header, payload]) {
    if (Buffer.from(segment.slice(0, 4), 'base64url')[0] !== 0x7b) throw new BearerError('invalid_token', 'the access token is not a compact JWS');
  }
}

/** Throws insufficient_scope unless `granted` holds one of `alternatives` entirely (AND within, OR across). */
export function requireScopes(granted: readonly string[], alternatives: readonly (readonly string[])[]): void {
  if (alternatives.length === 0 || alternatives.some((all) => all.every((s) => granted.includes(s)))) return;
  throw new BearerError('insufficient_scope', 'the access token lacks the required scope', alternatives.map((a) => a.join(' ')).join(' '), alternatives);
}
