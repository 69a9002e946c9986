/**
 * The JWK Set (RFC 7517 §5) at `jwks_uri`: served from memory, rebuilt only when the key set
 * changes, cacheable for half the pre-publish time so that every cache sees a new key before it
 * signs.
 */
import type { KeyManager } from '../keys/key-manager.js';
import { notModified, type HttpResult } from './http-result.js';

export function jwksEndpoint(keys: Pick<KeyManager, 'jwks'>): (ifNoneMatch?: string) => HttpResult {
  return (ifNoneMatch) => {
    const { body, etag, maxAge } = keys.jwks();
    const headers = { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': `public, max-age=${maxAge}`, ETag: etag };
    return notModified(ifNoneMatch, etag) ? { status: 304, headers } : { status: 200, headers, body };
  };
}
