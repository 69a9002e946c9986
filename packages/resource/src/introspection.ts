/**
 * Opaque access tokens, checked at the provider's introspection endpoint (RFC 7662) for providers
 * that do not issue JWTs. The API authenticates as a client (`client_secret_basic`, RFC 6749
 * §2.3.1) and trusts an answer only if it is about an access token of this issuer for this API:
 *
 *   - `active` must be true (§2.2), else the token is refused (`invalid_token`);
 *   - `token_type`, when given, must be `Bearer` (RFC 6749 §7.1): a refresh token the provider
 *     reports as active is still no bearer credential for an API;
 *   - `iss`, when given, must be the issuer byte for byte; `aud` must name this API (RFC 7662
 *     §4: a resource server must check that the token is meant for it);
 *   - `exp`, when given, must not have passed (with the clock tolerance).
 *
 * The provider being unreachable, timing out or answering anything but 200 with a JSON object
 * is IssuerUnavailableError (503): nothing is known about the token then.
 */
import type { JWTPayload } from 'jose';
import { BearerError, IssuerUnavailableError } from './errors.js';
import { bodyWithin } from './deadline.js';

export interface IntrospectionOptions {
  /** The client this API authenticates as at the introspection endpoint. */
  clientId: string;
  clientSecret: string;
  /** The endpoint (default: `introspection_endpoint` of the provider's discovery). */
  endpoint?: string;
}

export interface IntrospectionRequest {
  endpoint: string;
  client: IntrospectionOptions;
  issuer: string;
  audience: string | string[];
  fetch: typeof fetch;
  /** ms */
  timeout: number;
  /** seconds */
  clockTolerance: number;
  now: () => number;
}

export interface Introspected {
  sub: string;
  clientId: string;
  scopes: string[];
  /** The introspection answer, as the claims of the token. */
  claims: JWTPayload;
}

/** Whether a token can only be checked by introspection: not a JWS or JWE (no `.`). */
export function isOpaque(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token) && !token.includes('.');
}

export async function introspect(token: string, r: IntrospectionRequest): Promise<Introspected> {
  const basic = Buffer.from(`${formEncode(r.client.clientId)}:${formEncode(r.client.clientSecret)}`).toString('base64');
  let res: Response;
  const signal = AbortSignal.timeout(r.timeout);
  try {
    res = await r.fetch(r.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      redirect: 'error',
      signal,
    });
  } catch (e) {
    throw new IssuerUnavailableError(undefined, { cause: e });
  }
  const body: unknown = res.ok ? await bodyWithin(res.json(), signal).catch(() => undefined) : undefined;
  if (!res.ok || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IssuerUnavailableError(undefined, { cause: new Error(`introspection at ${r.endpoint} answered HTTP ${res.status}${res.ok ? ' without a JSON object' : ''}`) });
  }
  return check(body as Record<string, unknown>, r);
}

function check(answer: Record<string, unknown>, r: IntrospectionRequest): Introspected {
  const refuse = (why: string): never => {
    throw new BearerError('invalid_token', why);
  };
  if (answer.active !== true) refuse('the access token is not active');
  if (answer.token_type !== undefined && String(answer.token_type).toLowerCase() !== 'bearer') refuse('the token is not an access token');
  if (answer.iss !== undefined && answer.iss !== r.issuer) refuse(`the access token's issuer is not ${r.issuer}`);
  const audiences = typeof answer.aud === 'string' ? [answer.aud] : Array.isArray(answer.aud) ? answer.aud : [];
  const expected = Array.isArray(r.audience) ? r.audience : [r.audience];
  if (!audiences.some((a) => expected.includes(a as string))) refuse('the access token was issued for another audience');
  if (answer.exp !== undefined && (typeof answer.exp !== 'number' || answer.exp + r.clockTolerance <= r.now() / 1000)) refuse('the access token has expired');
  const clientId = typeof answer.client_id === 'string' ? answer.client_id : undefined;
  const sub = typeof answer.sub === 'string' ? answer.sub : clientId;
  if (!clientId || !sub) refuse('the access token names no client');
  return { sub: sub!, clientId: clientId!, scopes: typeof answer.scope === 'string' ? answer.scope.split(' ').filter(Boolean) : [], claims: answer as JWTPayload };
}

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before they go into Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
