/**
 * Fetching a client's `jwks_uri` (RFC 7591 §2) with the provider's one safe fetch
 * (src/util/safe-fetch.ts): public addresses only, resolved once and pinned (docs/SECURITY.md
 * CA-06, CA-07), no redirects, a deadline (CA-09) and a size limit (CA-08). Loopback only with
 * JWKS_URI_ALLOW_LOOPBACK, for development; http only then, and only to loopback.
 */
import { safeFetchJson, SafeFetchError, type SafeLookup, type SafeResponse } from '../../util/safe-fetch.js';

export type JwksLookup = SafeLookup;
export type JwksResponse = SafeResponse;
/** Why a fetch failed: logged, never shown to the client beyond `invalid_client`. */
export { SafeFetchError as JwksFetchError };

export interface JwksFetchOptions {
  allowLoopback: boolean;
  /** Deadline of the whole exchange: connection, headers and body (ms). */
  timeoutMs: number;
  /** The largest body accepted, in bytes. */
  maxBytes: number;
  /** Resolves a host name to all its addresses (default: the system resolver). */
  lookup?: JwksLookup;
}

export function fetchJwks(uri: string, options: JwksFetchOptions): Promise<JwksResponse> {
  return safeFetchJson(uri, { ...options, httpOnLoopback: true, accept: 'application/jwk-set+json, application/json', what: 'jwks_uri' }).catch((e: unknown) => {
    // The JWK Set's own words for the same failures.
    if (e instanceof SafeFetchError && e.reason === 'too-large') throw new SafeFetchError('too-large', `the JWK Set is larger than ${options.maxBytes} bytes`);
    throw e;
  });
}
