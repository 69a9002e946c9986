/**
 * Taking the bearer token from a request: the Authorization header only (RFC 6750 §2.1);
 * tokens in URLs end up in logs and referrers (RFC 6750 §5.3; SECURITY-CASES BR-05).
 */
import { BearerError } from './errors.js';

/** `b64token` of RFC 6750 §2.1. */
const CREDENTIALS = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token of an `Authorization: Bearer …` header; `undefined` when the request carries no
 * bearer credentials (another scheme counts as none). A malformed Bearer header is an error.
 */
export function bearerFromHeader(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  if (!/^bearer(\s|$)/i.test(value)) return undefined;
  const match = CREDENTIALS.exec(value);
  if (!match) throw new BearerError('invalid_request', 'the Authorization header is malformed');
  return match[1]!;
}
