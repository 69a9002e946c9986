/** Checks of sample answers, before any timing: a wrong answer measured fast is worth nothing. */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** GET or POST, expecting 200 and a JSON object. */
export async function fetchJson(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const text = await res.text();
  assert(res.status === 200, `${init.method ?? 'GET'} ${url}: status ${res.status}: ${text.slice(0, 300)}`);
  assert((res.headers.get('content-type') ?? '').includes('json'), `${url}: not JSON (${res.headers.get('content-type')})`);
  const body = JSON.parse(text) as unknown;
  assert(body !== null && typeof body === 'object' && !Array.isArray(body), `${url}: not a JSON object`);
  return body as Record<string, unknown>;
}

/**
 * An RFC 9068 access token: signature against the issuer's published JWKS, `typ: at+jwt`, the
 * expected algorithm, issuer and audience.
 */
export async function verifyAccessToken(token: string, o: { issuer: string; jwksUri: string; alg: string; audience: string }): Promise<JWTPayload> {
  const jwks = (await fetchJson(o.jwksUri)) as { keys: [] };
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: o.issuer, audience: o.audience, algorithms: [o.alg], typ: 'at+jwt' });
  assert(protectedHeader.alg === o.alg, `token signed with ${protectedHeader.alg}, expected ${o.alg}`);
  assert(typeof payload.sub === 'string' && typeof payload.exp === 'number' && typeof payload.jti === 'string', 'token lacks sub, exp or jti');
  return payload;
}

/** A token endpoint answer with a verified access token; returns the body. */
export async function checkTokenResponse(body: Record<string, unknown>, o: { issuer: string; jwksUri: string; alg: string; audience: string }): Promise<JWTPayload> {
  assert(typeof body.access_token === 'string', 'no access_token');
  assert(String(body.token_type).toLowerCase() === 'bearer', `token_type ${String(body.token_type)}`);
  assert(typeof body.expires_in === 'number' && body.expires_in > 0, 'no expires_in');
  return verifyAccessToken(body.access_token, o);
}
