/**
 * docs/SECURITY.md section C, userinfo rows UI-01…UI-05: the UserInfo endpoint (OIDC Core §5.3)
 * accepts exactly one bearer access token of this provider, issued to a user with `openid`, still
 * alive, in the Authorization header or a POST form body (RFC 6750 §2), and answers everything
 * else with an RFC 6750 §3 challenge and no claims.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientService } from '../../src/clients/client-service.js';
import { ManualClock } from '../../src/clock.js';
import { UserService } from '../../src/users/user-service.js';
import { login, startProvider, TEST_MODE, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

let provider: TestProvider;
let rp: Client;
let alice: User;
let tokens: Awaited<ReturnType<typeof tokensFor>>;

beforeAll(async () => {
  provider = await startProvider();
  rp = await provider.createClient({ firstParty: true, grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  alice = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell', emailVerified: true });
  tokens = await tokensFor(provider, rp, alice, 'openid profile email offline_access');
});
afterAll(() => provider?.close());

const userinfoUrl = () => `${provider.issuer}/userinfo`;

interface Answer {
  status: number;
  challenge: string | null;
  text: string;
  body: Record<string, unknown>;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the assertions below fail on the missing members
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate'), text, body, headers: res.headers };
}

function get(headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  return fetch(`${userinfoUrl()}${query}`, { headers }).then(answer);
}

function post(fields: Record<string, string>, headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  return fetch(`${userinfoUrl()}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  }).then(answer);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Nothing about any user in the answer. */
function expectNoClaims(a: Answer): void {
  for (const claim of ['sub', 'preferred_username', 'name', 'given_name', 'family_name', 'email', 'email_verified', 'updated_at']) {
    expect(a.body, `claim ${claim} leaked: ${a.text}`).not.toHaveProperty(claim);
  }
  expect(a.text).not.toContain(alice.id);
  expect(a.text).not.toContain(alice.username);
}

/** RFC 6750 §3.1 invalid_token: 401, a Bearer challenge naming the error, the JSON error, no claims. */
function expectInvalidToken(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.text}`).toBe(401);
  expect(a.challenge, what).toMatch(/^Bearer /);
  expect(a.challenge, what).toContain(`realm="${provider.issuer}"`);
  expect(a.challenge, what).toContain('error="invalid_token"');
  expect(a.body.error, what).toBe('invalid_token');
  expect(a.headers.get('cache-control'), what).toBe('no-store');
  expectNoClaims(a);
}

/** RFC 6750 §3.1 invalid_request: 400 with the error in the challenge and the body, no claims. */
function expectInvalidRequest(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.text}`).toBe(400);
  expect(a.challenge, what).toMatch(/^Bearer /);
  expect(a.challenge, what).toContain('error="invalid_request"');
  expect(a.body.error, what).toBe('invalid_request');
  expectNoClaims(a);
}

function b64json(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
const enc = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

/** Claims of a fresh, valid access token of alice for rp (to mint variants with the provider's keys). */
function atClaims(): JWTPayload {
  return decodeJwt(tokens.access_token);
}

// The fake mode releases the typed claims, whatever the scope (README "Developing a frontend…").
describe.skipIf(TEST_MODE === 'fake')('userinfo: the control', () => {
  it('control: a valid access token in the header (GET) and in a POST form body returns the claims', async () => {
    const viaHeader = await get(bearer(tokens.access_token));
    expect(viaHeader.status, viaHeader.text).toBe(200);
    expect(viaHeader.headers.get('content-type')).toMatch(/^application\/json/);
    expect(viaHeader.headers.get('cache-control')).toBe('no-store');
    expect(viaHeader.body).toMatchObject({
      sub: alice.id,
      preferred_username: alice.username,
      given_name: 'Alice',
      family_name: 'Liddell',
      name: 'Alice Liddell',
      email: `${alice.username}@example.com`,
      email_verified: true,
    });
    expect(typeof viaHeader.body.updated_at).toBe('number');
    expect(viaHeader.text).not.toMatch(/password|\$scrypt\$/i);

    const viaBody = await post({ access_token: tokens.access_token });
    expect(viaBody.status, viaBody.text).toBe(200);
    expect(viaBody.body).toEqual(viaHeader.body);

    const viaPostHeader = await post({}, bearer(tokens.access_token));
    expect(viaPostHeader.status, viaPostHeader.text).toBe(200);
    expect(viaPostHeader.body).toEqual(viaHeader.body);
  });

  it('control: claims by scope: openid alone gives sub only; openid email no profile claims', async () => {
    const onlyOpenid = await tokensFor(provider, rp, alice, 'openid');
    const a = await get(bearer(onlyOpenid.access_token));
    expect(a.status, a.text).toBe(200);
    expect(a.body).toEqual({ sub: alice.id });

    const withEmail = await tokensFor(provider, rp, alice, 'openid email');
    const b = await get(bearer(withEmail.access_token));
    expect(b.status, b.text).toBe(200);
    expect(b.body).toEqual({ sub: alice.id, email: `${alice.username}@example.com`, email_verified: true });
  });
});

describe('UI-01: missing or malformed credentials', () => {
  it('UI-01 no token at all: 401 with a bare Bearer challenge (realm, no error attribute), and the DPoP one beside it (RFC 9449 §7.1)', async () => {
    for (const a of [await get(), await post({})]) {
      expect(a.status, a.text).toBe(401);
      const realm = provider.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(a.challenge).toMatch(new RegExp(`^Bearer realm="${realm}", DPoP realm="${realm}", algs="[A-Za-z0-9 ]+"$`));
      expect(a.challenge).not.toMatch(/error=/);
      expect(a.body.error).toBe('unauthenticated');
      expectNoClaims(a);
    }
  });

  it('UI-01 `Authorization: Bearer` with no value, and `Bearer a b`: 400 invalid_request', async () => {
    expectInvalidRequest(await get({ authorization: 'Bearer' }), 'Bearer with no value');
    expectInvalidRequest(await get({ authorization: 'Bearer ' }), 'Bearer and a space');
    expectInvalidRequest(await get({ authorization: 'Bearer a b' }), 'Bearer a b');
    expectInvalidRequest(await get({ authorization: `Bearer ${tokens.access_token} x` }), 'a valid token and a second word');
  });

  it('UI-01 `Authorization: Basic x` (not a bearer token): 401 with a Bearer challenge, no claims', async () => {
    const a = await get({ authorization: 'Basic x' });
    expect(a.status, a.text).toBe(401);
    expect(a.challenge).toMatch(/^Bearer realm="/);
    expectNoClaims(a);
    // Basic credentials of the client itself get nothing either.
    const basic = `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`;
    const b = await get({ authorization: basic });
    expect(b.status, b.text).toBe(401);
    expectNoClaims(b);
  });

  it('UI-01 `?access_token=` (empty) and `?access_token=<valid>` in the query: refused, never claims', async () => {
    for (const [query, what] of [
      ['?access_token=', 'empty access_token in the query'],
      ['?access_token', 'bare access_token in the query'],
      [`?access_token=${tokens.access_token}`, 'a valid token in the query'],
    ] as const) {
      for (const a of [await get({}, query), await post({}, {}, query)]) {
        expect([400, 401], `${what}: ${a.status} ${a.text}`).toContain(a.status);
        expect(a.challenge, what).toMatch(/^Bearer /);
        expectNoClaims(a);
      }
    }
  });

  it('UI-01 an empty or repeated access_token in a POST form body: refused, never claims', async () => {
    const twice = await fetch(userinfoUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tokens.access_token}&access_token=${tokens.access_token}`,
    }).then(answer);
    expectInvalidRequest(twice, 'access_token twice in the body');
    const empty = await post({ access_token: '' });
    expect([400, 401], empty.text).toContain(empty.status);
    expectNoClaims(empty);
  });
});

describe('UI-02: more than one transmission method', () => {
  it('UI-02 a valid token in the header AND access_token in the query: 400 invalid_request', async () => {
    expectInvalidRequest(await get(bearer(tokens.access_token), `?access_token=${tokens.access_token}`), 'header + query (GET)');
    expectInvalidRequest(await post({}, bearer(tokens.access_token), `?access_token=${tokens.access_token}`), 'header + query (POST)');
  });

  it('UI-02 a valid token in the header AND access_token in the POST form body: 400 invalid_request', async () => {
    expectInvalidRequest(await post({ access_token: tokens.access_token }, bearer(tokens.access_token)), 'header + body (same token)');
    expectInvalidRequest(await post({ access_token: 'x'.repeat(40) }, bearer(tokens.access_token)), 'header + body (junk in the body)');
  });

  it('UI-02 a valid token in the header AND an empty access_token in the POST form body: 400 invalid_request', async () => {
    // The client used two methods (RFC 6750 §2); an empty `?access_token=` is counted as one, so must an empty body parameter be.
    expectInvalidRequest(await post({ access_token: '' }, bearer(tokens.access_token)), 'header + empty access_token in the body');
  });

  it('UI-02 a token in the POST form body AND in the query: 400 invalid_request', async () => {
    expectInvalidRequest(await post({ access_token: tokens.access_token }, {}, `?access_token=${tokens.access_token}`), 'body + query');
  });
});

describe('UI-03: tokens that are not (or no longer) a live access token of a user', () => {
  it('UI-03 a refresh token, an authorization code and an ID token: 401 invalid_token', async () => {
    expect(tokens.refresh_token, 'offline_access gives a refresh token').toBeTruthy();
    expect(tokens.id_token).toBeTruthy();
    expectInvalidToken(await get(bearer(tokens.refresh_token!)), 'refresh token (header)');
    expectInvalidToken(await post({ access_token: tokens.refresh_token! }), 'refresh token (body)');
    expectInvalidToken(await get(bearer(tokens.id_token!)), 'ID token (header)');
    expectInvalidToken(await post({ access_token: tokens.id_token! }), 'ID token (body)');

    // A code not yet redeemed, then the same code once redeemed.
    const { location, verifier } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: alice.username });
    const code = location.searchParams.get('code')!;
    expect(code).toBeTruthy();
    expectInvalidToken(await get(bearer(code)), 'unredeemed authorization code');
    const redeemed = await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier! }, rp);
    expect(redeemed.status).toBe(200);
    expectInvalidToken(await get(bearer(code)), 'redeemed authorization code');
  });

  it('UI-03 a client_credentials access token (no user): 401 invalid_token', async () => {
    const res = await tokenRequest(provider, { grant_type: 'client_credentials' }, rp);
    const body = (await res.json()) as { access_token: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: rp.clientId, client_id: rp.clientId });
    expectInvalidToken(await get(bearer(body.access_token)), 'client_credentials AT (header)');
    expectInvalidToken(await post({ access_token: body.access_token }), 'client_credentials AT (body)');
  });

  it('UI-03 a revoked access token (its grant revoked): 401 invalid_token', async () => {
    const t = await tokensFor(provider, rp, alice, 'openid profile');
    expect((await get(bearer(t.access_token))).status, 'alive before the revocation').toBe(200);
    const grantId = decodeJwt(t.access_token).grant_id as string;
    expect(grantId).toMatch(/^[0-9a-f-]{36}$/);
    await provider.provider!.grants.revoke(grantId);
    expectInvalidToken(await get(bearer(t.access_token)), 'revoked AT (header)');
    expectInvalidToken(await post({ access_token: t.access_token }), 'revoked AT (body)');
  });

  it('UI-03 an expired access token (past exp beyond the clock tolerance, minted with the provider key): 401 invalid_token', async () => {
    const keys = provider.provider!.keys;
    const now = Math.floor(Date.now() / 1000);
    const claims = atClaims();
    // Control: the same claims with a live exp are accepted, so only the expiry is refused below.
    const alive = await keys.sign({ ...claims, jti: crypto.randomUUID(), iat: now - 10, exp: now + 60 }, { typ: 'at+jwt' });
    expect((await get(bearer(alive))).status, 'a re-minted live token is accepted').toBe(200);
    const expired = await keys.sign({ ...claims, jti: crypto.randomUUID(), iat: now - 3600, exp: now - 60 }, { typ: 'at+jwt' });
    const a = await get(bearer(expired));
    expectInvalidToken(a, 'expired AT');
  });

  it('UI-03 an access token that expired for real (JWT_ACCESS_TOKEN_EXPIRATION_TIME=1, past the 5 s tolerance): 401 invalid_token', async () => {
    const clock = new ManualClock();
    const shortLived = await startProvider({ JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '1' }, { clock });
    try {
      const client = await shortLived.createClient({ firstParty: true });
      const user = await shortLived.createUser();
      const t = await tokensFor(shortLived, client, user, 'openid profile');
      const { exp, iat } = decodeJwt(t.access_token) as { exp: number; iat: number };
      expect(exp - iat).toBe(1);
      const call = () => fetch(`${shortLived.issuer}/userinfo`, { headers: bearer(t.access_token) }).then(answer);
      expect((await call()).status, 'alive at first').toBe(200);
      // exp + 5 s of tolerance + 1 s of margin, on the provider's clock rather than waited out.
      clock.set((exp + 6) * 1000 + 200);
      const a = await call();
      expect(a.status, a.text).toBe(401);
      expect(a.challenge).toContain('error="invalid_token"');
      expect(a.body.error).toBe('invalid_token');
      expect(a.body).not.toHaveProperty('sub');
      expect(a.text).not.toContain(user.id);
    } finally {
      await shortLived.close();
    }
  }, 30_000);

  it('UI-03 an access token of a user since disabled, and of a user since deleted: 401 invalid_token', async () => {
    const users = new UserService(provider.db.orm.em);
    const bob = await provider.createUser();
    const carol = await provider.createUser();
    const tb = await tokensFor(provider, rp, bob, 'openid profile email');
    const tc = await tokensFor(provider, rp, carol, 'openid profile email');
    expect((await get(bearer(tb.access_token))).status).toBe(200);
    expect((await get(bearer(tc.access_token))).status).toBe(200);

    await users.update(bob.username, { active: false });
    const disabled = await get(bearer(tb.access_token));
    expectInvalidToken(disabled, 'AT of a disabled user');
    expect(disabled.text).not.toContain(bob.id);
    expect(disabled.text).not.toContain(bob.username);

    await users.delete(carol.username);
    const deleted = await get(bearer(tc.access_token));
    expectInvalidToken(deleted, 'AT of a deleted user');
    expect(deleted.text).not.toContain(carol.id);
  });

  it('UI-03 an access token whose client was deleted: 401 invalid_token', async () => {
    const clients = new ClientService(provider.db.orm.em, () => provider.provider!.clients.changed());
    const doomed = await provider.createClient({ firstParty: true });
    const t = await tokensFor(provider, doomed, alice, 'openid profile');
    expect((await get(bearer(t.access_token))).status).toBe(200);
    await clients.delete(doomed.clientId);
    expectInvalidToken(await get(bearer(t.access_token)), 'AT of a deleted client');
  });

  it('UI-03 forged tokens: alg none, a payload byte flipped, a signature by another key under the provider kid, HS256 keyed with the public key: 401', async () => {
    const [h, p, s] = tokens.access_token.split('.') as [string, string, string];
    const header = b64json(h);
    const payload = b64json(p);

    // alg: none, with and without the original signature.
    const none = `${enc({ ...header, alg: 'none' })}.${p}.`;
    expectInvalidToken(await get(bearer(none)), 'alg none, empty signature');
    expectInvalidToken(await get(bearer(`${enc({ ...header, alg: 'none' })}.${p}.${s}`)), 'alg none, original signature');
    expectInvalidToken(await get(bearer(`${enc({ alg: 'none', typ: 'at+jwt' })}.${p}.`)), 'alg none, no kid');

    // The payload changed under the original signature: one character flipped, and another sub.
    const i = Math.floor(p.length / 2);
    const flipped = `${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}`;
    expect(flipped).not.toBe(p);
    expectInvalidToken(await get(bearer(`${h}.${flipped}.${s}`)), 'payload character flipped');
    const bob = await provider.createUser();
    expectInvalidToken(await get(bearer(`${h}.${enc({ ...payload, sub: bob.id })}.${s}`)), 'payload sub replaced');
    expectInvalidToken(await get(bearer(`${h}.${enc({ ...payload, scope: 'openid profile email admin' })}.${s}`)), 'payload scope widened');
    // A signature flipped too.
    const j = Math.floor(s.length / 2);
    expectInvalidToken(await get(bearer(`${h}.${p}.${s.slice(0, j)}${s[j] === 'A' ? 'B' : 'A'}${s.slice(j + 1)}`)), 'signature character flipped');

    // Another key pair of the same algorithm, signing with the provider's kid.
    const { alg, kid } = decodeProtectedHeader(tokens.access_token) as { alg: string; kid: string };
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const foreign = await new SignJWT({ ...payload }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(privateKey);
    expectInvalidToken(await get(bearer(foreign)), 'signed by another key with the provider kid');

    // Algorithm confusion: HS256 with the published public key as the HMAC secret.
    const jwks = (await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    const published = jwks.keys.find((k) => k.kid === kid);
    expect(published).toBeDefined();
    for (const secret of [JSON.stringify(published), String(published!.x ?? published!.n)]) {
      const hs = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(secret));
      expectInvalidToken(await get(bearer(hs)), 'HS256 keyed with the public key');
    }
    // Sanity: the foreign key really is a different key.
    expect(await exportJWK(privateKey)).not.toMatchObject({ x: published!.x });
  });

  it('UI-03 random and oversized junk in the header: 401, never a 500', async () => {
    expectInvalidToken(await get(bearer(randomBytes(32).toString('base64url'))), 'random opaque value');
    expectInvalidToken(await get(bearer('a.b.c')), 'three junk segments');
    const huge = await get(bearer('a'.repeat(9000)));
    expect([400, 401], huge.text).toContain(huge.status);
    expectNoClaims(huge);
  });
});

describe('UI-04: an access token without openid', () => {
  it('UI-04 an AT of the scope `profile` only: 403 insufficient_scope naming scope="openid", no claims', async () => {
    const { location, verifier } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: alice.username, scope: 'profile email' });
    const code = location.searchParams.get('code');
    expect(code, location.toString()).toBeTruthy();
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: code!, redirect_uri: rp.redirectUri, code_verifier: verifier! }, rp);
    const body = (await res.json()) as { access_token: string; id_token?: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.id_token, 'no openid, no ID token').toBeUndefined();
    expect(String(decodeJwt(body.access_token).scope).split(' ')).not.toContain('openid');

    for (const a of [await get(bearer(body.access_token)), await post({ access_token: body.access_token })]) {
      expect(a.status, a.text).toBe(403);
      expect(a.challenge).toMatch(/^Bearer /);
      expect(a.challenge).toContain(`realm="${provider.issuer}"`);
      expect(a.challenge).toContain('error="insufficient_scope"');
      expect(a.challenge).toContain('scope="openid"');
      expect(a.body.error).toBe('insufficient_scope');
      expectNoClaims(a);
    }
  });
});

describe('UI-05: an access token for another audience', () => {
  it('UI-05 an AT with aud only https://api.example (minted with the provider key): 401 invalid_token', async () => {
    const keys = provider.provider!.keys;
    const claims = atClaims();
    // Control: the same claims with the provider as audience are accepted.
    const ours = await keys.sign({ ...claims, jti: crypto.randomUUID() }, { typ: 'at+jwt' });
    expect((await get(bearer(ours))).status).toBe(200);

    for (const aud of ['https://api.example', ['https://api.example'], ['https://api.example', 'https://api.example/graphql'], `${provider.issuer}/`, `${provider.issuer}/userinfo`]) {
      const token = await keys.sign({ ...claims, aud, jti: crypto.randomUUID() }, { typ: 'at+jwt' });
      expectInvalidToken(await get(bearer(token)), `aud ${JSON.stringify(aud)}`);
    }
    const noAud = { ...claims, jti: crypto.randomUUID() };
    delete noAud.aud;
    expectInvalidToken(await get(bearer(await keys.sign(noAud, { typ: 'at+jwt' }))), 'no aud');
  });

  it('UI-05 the provider key but not an access token type or issuer: typ JWT, another iss: 401', async () => {
    const keys = provider.provider!.keys;
    const claims = atClaims();
    expectInvalidToken(await get(bearer(await keys.sign({ ...claims, jti: crypto.randomUUID() }, { typ: 'JWT' }))), 'typ JWT');
    expectInvalidToken(await get(bearer(await keys.sign({ ...claims, jti: crypto.randomUUID() }))), 'no typ');
    expectInvalidToken(await get(bearer(await keys.sign({ ...claims, iss: 'https://evil.example', jti: crypto.randomUUID() }, { typ: 'at+jwt' }))), 'another iss');
  });
});
