/**
 * Taking the bearer token from a request: the Authorization header only (RFC 6750 §2.1);
 * tokens in URLs end up in logs and referrers (RFC 6750 §5.3; docs/SECURITY.md BR-05).
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

/** A request's query: as a framework parsed it (an object or URLSearchParams), or its raw text (`?` optional). */
export type RequestQuery = Readonly<Record<string, unknown>> | URLSearchParams | string | null | undefined;

/**
 * Whether the URL carries an access token: the `access_token` query parameter of RFC 6750 §2.3,
 * present at all (empty or not). Such a token already sits in logs and `Referer` headers
 * (RFC 6750 §5.3; docs/SECURITY.md BR-05), so no edge of jwt-oidc takes it, nor serves the request.
 */
export function tokenInQuery(query: RequestQuery): boolean {
  if (query === undefined || query === null) return false;
  if (typeof query === 'string') return new URLSearchParams(query).has('access_token');
  if (query instanceof URLSearchParams) return query.has('access_token');
  return Object.hasOwn(query, 'access_token');
}

/**
 * The bearer token of a request that takes it in the Authorization header only (bearerFromHeader);
 * a token in the URL is refused even beside a good header: 400 invalid_request (RFC 6750 §3.1).
 */
export function bearerFromRequest(authorization: string | undefined, query: RequestQuery): string | undefined {
  if (tokenInQuery(query)) throw new BearerError('invalid_request', 'send the access token in the Authorization header, never in the URL');
  return bearerFromHeader(authorization);
}
