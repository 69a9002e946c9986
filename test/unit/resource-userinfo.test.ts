/**
 * `userinfo()` of @jwt-oidc/resource (packages/resource/src/userinfo.ts): `null` for a token that
 * names no end-user — without a request when its scope lacks `openid` or it is an ID token, and
 * when the provider refuses it with 401 invalid_token / 403 insufficient_scope (RFC 6750 §3.1) —
 * kept apart from an unreachable provider (IssuerUnavailableError, 503) and from other failures.
 * And `issuerFromDiscovery`, the one reading of a discovery endpoint setting in both its forms.
 * The provider is an injected fetch: the JWKS of a key held here and a scripted userinfo answer.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { IssuerUnavailableError, issuerFromDiscovery, RemoteIssuer } from '@jwt-oidc/resource';

const ISSUER = 'https://op.example';
const JWKS = `${ISSUER}/jwks`;
const USERINFO = `${ISSUER}/userinfo`;
const API = 'https://api.example';

let privateKey: CryptoKey;
let jwks: unknown;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey as CryptoKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
});

/** An RFC 9068 access token of ISSUER for API; `scope: undefined` leaves the claim out. */
function accessToken(claims: { sub?: string; scope?: string } = {}): Promise<string> {
  const { sub = 'alice', scope = 'openid orders:read' } = claims;
  const payload: Record<string, unknown> = { client_id: 'shop', jti: crypto.randomUUID() };
  if ('scope' in claims && claims.scope === undefined) delete payload.scope;
  else payload.scope = scope;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(ISSUER)
    .setSubject(sub)
    .setAudience(API)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

/** A RemoteIssuer whose userinfo endpoint answers with `userinfo` (or throws it); counts its calls. */
function issuerWith(userinfo: () => Response | Promise<Response>, extra: { acceptIdTokens?: boolean } = {}) {
  const calls: string[] = [];
  const fetchStub = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    calls.push(url);
    if (url === JWKS) return Response.json(jwks);
    if (url === USERINFO) return userinfo();
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  const issuer = new RemoteIssuer({ issuer: ISSUER, jwksUri: JWKS, userinfoEndpoint: USERINFO, audience: API, fetch: fetchStub, ...extra });
  return { issuer, userinfoCalls: () => calls.filter((u) => u === USERINFO).length };
}

const refusal = (status: number, challenge: string | undefined, body: unknown = {}) => () =>
  Response.json(body, { status, headers: challenge ? { 'www-authenticate': challenge } : {} });

describe('userinfo(): the end-user of a token, or null when it names none', () => {
  it("a user's token with openid: the provider's claims, fetched once per token", async () => {
    const { issuer, userinfoCalls } = issuerWith(() => Response.json({ sub: 'alice', email: 'alice@example.com' }));
    const caller = issuer.caller(await issuer.verify(await accessToken()));
    expect(await caller.userinfo()).toEqual({ sub: 'alice', email: 'alice@example.com' });
    expect(await caller.userinfo()).toEqual({ sub: 'alice', email: 'alice@example.com' });
    expect(userinfoCalls()).toBe(1);
  });

  it('a token whose scope lacks openid (client_credentials, admin): null, and the provider is not asked', async () => {
    const { issuer, userinfoCalls } = issuerWith(() => Response.json({ sub: 'shop' }));
    for (const scope of ['admin', 'orders:read', '']) {
      const caller = issuer.caller(await issuer.verify(await accessToken({ sub: 'shop', scope })));
      expect(await caller.userinfo(), scope).toBeNull();
    }
    expect(userinfoCalls()).toBe(0);
  });

  it('a token without any scope claim is left to the provider', async () => {
    const { issuer, userinfoCalls } = issuerWith(() => Response.json({ sub: 'alice' }));
    expect(await issuer.caller(await issuer.verify(await accessToken({ scope: undefined }))).userinfo()).toEqual({ sub: 'alice' });
    expect(userinfoCalls()).toBe(1);
  });

  it.each([
    ['401 invalid_token in the challenge', refusal(401, 'Bearer realm="op", error="invalid_token", error_description="this token was issued to a client, not to a user"')],
    ['403 insufficient_scope in the challenge', refusal(403, 'Bearer realm="op", error="insufficient_scope", scope="openid"')],
    ['401 invalid_token in the JSON body only', refusal(401, 'Bearer', { error: 'invalid_token' })],
  ])('the provider refuses the token (%s): null, remembered for the token', async (_what, answer) => {
    const { issuer, userinfoCalls } = issuerWith(answer);
    const caller = issuer.caller(await issuer.verify(await accessToken()));
    expect(await caller.userinfo()).toBeNull();
    expect(await caller.userinfo()).toBeNull();
    expect(userinfoCalls()).toBe(1);
  });

  it.each([
    ['refused connections', () => Promise.reject(new TypeError('fetch failed'))],
    ['a 503', () => new Response('down', { status: 503 })],
    ['a 502', () => new Response('bad gateway', { status: 502 })],
    ['a 429', () => new Response('slow down', { status: 429, headers: { 'retry-after': '1' } })],
  ])('an unreachable provider (%s): IssuerUnavailableError (503), not remembered', async (_what, answer) => {
    let down = true;
    const { issuer, userinfoCalls } = issuerWith(() => (down ? answer() : Response.json({ sub: 'alice' })));
    const caller = issuer.caller(await issuer.verify(await accessToken()));
    const e = await caller.userinfo().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(IssuerUnavailableError);
    expect((e as IssuerUnavailableError).status).toBe(503);
    down = false;
    expect(await caller.userinfo()).toEqual({ sub: 'alice' });
    expect(userinfoCalls()).toBe(2);
  });

  it.each([
    ['a 401 without invalid_token (no error code)', refusal(401, 'Bearer realm="op"'), /HTTP 401/],
    ['a 400', refusal(400, 'Bearer error="invalid_request"'), /HTTP 400/],
    ['a 403 that is not insufficient_scope', refusal(403, 'Bearer error="invalid_token"'), /HTTP 403/],
    ['a redirect (never followed with the token)', () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/' } }), /HTTP 302/],
    ['claims about another subject (OIDC Core §5.3.2)', () => Response.json({ sub: 'mallory' }), /another subject/],
    ['not JSON', () => new Response('<html>', { status: 200 }), /not JSON/],
    ['a JSON array', () => Response.json([{ sub: 'alice' }]), /not a JSON object/],
  ])('anything else is an error, neither null nor 503: %s', async (_what, answer, message) => {
    const { issuer } = issuerWith(answer);
    const e = await issuer
      .caller(await issuer.verify(await accessToken()))
      .userinfo()
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(IssuerUnavailableError);
    expect((e as Error).message).toMatch(message);
  });

  it('an ID token accepted as a bearer token (acceptIdTokens): null, the UserInfo endpoint takes access tokens only', async () => {
    const { issuer, userinfoCalls } = issuerWith(() => Response.json({ sub: 'alice' }), { acceptIdTokens: true });
    const idToken = await new SignJWT({ nonce: 'n' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1' }).setIssuer(ISSUER).setSubject('alice').setAudience(API).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const verified = await issuer.verify(idToken);
    expect(verified.idToken).toBe(true);
    expect(await issuer.caller(verified).userinfo()).toBeNull();
    expect(userinfoCalls()).toBe(0);
  });
});

describe('issuerFromDiscovery: a discovery endpoint setting, in either form', () => {
  it.each([
    ['https://id.example.com/.well-known/openid-configuration', 'https://id.example.com'],
    ['https://id.example.com', 'https://id.example.com'],
    ['https://id.example.com/', 'https://id.example.com/'],
    ['https://id.example.com/tenant/.well-known/openid-configuration', 'https://id.example.com/tenant'],
    ['https://id.example.com/tenant', 'https://id.example.com/tenant'],
    ['http://localhost:3000/.well-known/openid-configuration', 'http://localhost:3000'],
    ['http://localhost:3000', 'http://localhost:3000'],
  ])('%s → the issuer %s, byte for byte', (url, issuer) => {
    expect(issuerFromDiscovery(url)).toBe(issuer);
  });

  it.each([
    'https://id.example.com/.well-known/openid-configuration?tenant=1',
    'https://id.example.com/?tenant=1',
    'https://id.example.com/#top',
    'https://user:pw@id.example.com',
    'https://id.example.com/.well-known/openid-configuration/tenant',
    'https://id.example.com/.well-known/oauth-authorization-server',
    'https://id.example.com//.well-known/openid-configuration',
    ' https://id.example.com',
    'ftp://id.example.com',
    'id.example.com',
    '',
  ])('%j → undefined (no issuer looks like that)', (url) => {
    expect(issuerFromDiscovery(url)).toBeUndefined();
  });
});
