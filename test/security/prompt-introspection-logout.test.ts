/**
 * docs/SECURITY.md, the provider's side, part 2: the authorization endpoint's `prompt`, `max_age`,
 * `id_token_hint` and unverifiable request objects (AZ-20 … AZ-24), introspection and revocation (IN-01,
 * IN-02, RV-01), RP-initiated logout (SE-08, SE-09, SE-11, SE-12, SE-13), and the `c_hash` /
 * `at_hash` the provider puts in ID tokens from the authorization endpoint (ID-05, provider side).
 * Everything runs over real HTTP against providers on loopback, each with its own database.
 *
 * Three providers: `main` (default settings, ES256), `short` (ID and access tokens live 1 s: the
 * expired hints and the expired access token; its tokens are minted up front so the waits overlap
 * the other rows), and `es384` (JWT_OIDC_SIGNATURE_ALG=ES384, for the hash of the ID-token alg).
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/database.js';
import {
  authorizeUrl,
  browse,
  CookieJar,
  expectNothingPersisted,
  formOf,
  login,
  PASSWORD,
  pkcePair,
  postForm,
  signInFields,
  startProvider,
  tokenRequest,
  tokensFor,
  type TestProvider,
} from '../support/provider.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;
type User = Awaited<ReturnType<TestProvider['createUser']>>;
type Json = Record<string, unknown>;
interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  token_type: string;
  expires_in: number;
}

const SCOPE = 'openid profile email offline_access';
const NONCE = 'n-0S6_WzA2Mj';
const POST_LOGOUT = 'https://rp.example/logged-out';
const EVIL = 'https://evil.example/';
const SESSION_COOKIE = 'jwt-oidc.session';
const ALL_RESPONSE_TYPES = ['code', 'id_token', 'code id_token', 'code token', 'code id_token token', 'id_token token'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitUntil = async (at: number) => {
  const delay = at - Date.now();
  if (delay > 0) await sleep(delay);
};
const claimsOf = (jwt: string) => decodeJwt(jwt) as Json;
const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The left half of the hash of the ASCII value, base64url (OIDC Core §3.1.3.6), computed here. */
function expectedHalfHash(value: string, hash: 'sha256' | 'sha384' | 'sha512'): string {
  const digest = createHash(hash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/** Logs in through the real pages in `jar` (or reuses its session) and redeems the code. */
async function codeTokens(p: TestProvider, client: Client, user: User, jar: CookieJar, scope = SCOPE): Promise<Tokens> {
  const { location, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, scope, nonce: NONCE, jar });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  return redeem(p, client, code!, verifier);
}

async function redeem(p: TestProvider, client: Client, code: string, verifier?: string): Promise<Tokens> {
  const fields: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri };
  if (verifier) fields.code_verifier = verifier;
  const res = await tokenRequest(p, fields, client);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Tokens;
}

function refresh(p: TestProvider, client: Client, refreshToken: string): Promise<Response> {
  return tokenRequest(p, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
}

function userinfo(p: TestProvider, accessToken: string): Promise<Response> {
  return fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

function basic(client: { clientId: string; clientSecret?: string }): string {
  const enc = encodeURIComponent;
  return `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret ?? '')}`).toString('base64')}`;
}

/** POST to /introspect or /revoke as `client` (client_secret_basic), or with raw headers. */
function endpointPost(p: TestProvider, path: '/introspect' | '/revoke', fields: Record<string, string>, client?: { clientId: string; clientSecret?: string }, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  if (client) h.authorization = basic(client);
  return fetch(`${p.issuer}${path}`, { method: 'POST', headers: h, body: new URLSearchParams(fields) });
}

async function introspect(p: TestProvider, client: Client, token: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Json; text: string }> {
  const res = await endpointPost(p, '/introspect', { token, ...extra }, client);
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Json };
}

/** RFC 7662 §2.2: an inactive token is `{"active": false}` and nothing else. */
async function expectInactive(p: TestProvider, client: Client, token: string, what: string): Promise<void> {
  const { status, body, text } = await introspect(p, client, token);
  expect(status, `${what}: ${text}`).toBe(200);
  expect(body, `${what}: ${text}`).toStrictEqual({ active: false });
}

async function expectActive(p: TestProvider, client: Client, token: string, what: string): Promise<Json> {
  const { status, body, text } = await introspect(p, client, token);
  expect(status, `${what}: ${text}`).toBe(200);
  expect(body.active, `${what}: ${text}`).toBe(true);
  return body;
}

async function expectUserinfo(p: TestProvider, accessToken: string, status: 200 | 401, what: string): Promise<void> {
  const res = await userinfo(p, accessToken);
  const text = await res.text();
  expect(res.status, `${what}: ${text}`).toBe(status);
  if (status === 401) expect(res.headers.get('www-authenticate'), what).toMatch(/^Bearer .*error="invalid_token"/);
}

async function expectJsonError(res: Response, status: number, errors: string[]): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type'), text).toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as Json;
  expect(errors, text).toContain(body.error);
  return body;
}

/** A plain authorization request for `client` (code, openid), with what the test adds. */
function authzParams(client: Client, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st-az', ...extra };
}

/** The parameters of a redirect to the client: the query, or the fragment. */
function responseParams(location: URL, mode: 'query' | 'fragment'): URLSearchParams {
  return mode === 'query' ? location.searchParams : new URLSearchParams(location.hash.slice(1));
}

/**
 * An authorization error per RFC 6749 §4.1.2.1 / RFC 9207: a 302/303 to the registered URI, the
 * error in the response mode with `state` and `iss`, nothing issued, no UI, no cookie.
 */
async function expectAuthzError(p: TestProvider, res: Response, client: Client, error: string, o: { state?: string | null; mode?: 'query' | 'fragment' } = {}): Promise<URLSearchParams> {
  const mode = o.mode ?? 'query';
  const body = await res.text();
  expect([302, 303], body.slice(0, 300)).toContain(res.status);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`, location.toString()).toBe(client.redirectUri);
  expect(location.pathname).not.toContain('/interaction/');
  const params = responseParams(location, mode);
  if (mode === 'fragment') expect(location.search, 'nothing in the query of a fragment response').toBe('');
  expect(params.get('error'), location.toString()).toBe(error);
  if (o.state !== null) expect(params.get('state'), location.toString()).toBe(o.state ?? 'st-az');
  else expect(params.get('state'), location.toString()).toBeNull();
  expect(params.get('iss')).toBe(p.issuer);
  for (const k of ['code', 'id_token', 'access_token']) expect(params.get(k), location.toString()).toBeNull();
  expect(res.headers.getSetCookie(), 'no cookie is set').toEqual([]);
  return params;
}

/** `prompt=none` in `jar` for `client`: the Location of the answer. */
async function promptNone(p: TestProvider, jar: CookieJar, client: Client, extra: Record<string, string> = {}): Promise<URL> {
  const res = await browse(jar, authorizeUrl(p, authzParams(client, { prompt: 'none', ...extra })));
  expect([302, 303]).toContain(res.status);
  return new URL(res.headers.get('location')!);
}

async function expectSessionWorks(p: TestProvider, jar: CookieJar, client: Client, what: string): Promise<void> {
  const location = await promptNone(p, jar, client);
  expect(location.searchParams.get('error'), `${what}: ${location}`).toBeNull();
  expect(location.searchParams.get('code'), `${what}: ${location}`).toBeTruthy();
}

async function expectLoggedOut(p: TestProvider, jar: CookieJar, client: Client, what: string): Promise<void> {
  const location = await promptNone(p, jar, client);
  expect(location.searchParams.get('error'), `${what}: ${location}`).toBe('login_required');
  expect(location.searchParams.get('code'), `${what}: ${location}`).toBeNull();
}

async function sessionRows(p: TestProvider, sid: string): Promise<number> {
  const [row] = await query<{ n: number }>(p.databaseUrl, 'select count(*)::int as n from sessions where sid = $1', [sid]);
  return row!.n;
}

/**
 * Follows an authorization request through the pages (login, consent) in `jar`: where the
 * browser was first sent, which forms were posted, and where it ended.
 */
async function drive(p: TestProvider, jar: CookieJar, url: string, username: string): Promise<{ first: URL; final: URL; posted: string[] }> {
  let res = await browse(jar, url);
  expect([302, 303], (await res.clone().text()).slice(0, 300)).toContain(res.status);
  const first = new URL(res.headers.get('location')!);
  let location = first;
  const posted: string[] = [];
  for (let hops = 0; hops < 6; hops++) {
    if (!location.pathname.includes('/interaction/')) return { first, final: location, posted };
    res = await browse(jar, location.toString());
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    const { action, csrf } = formOf(html);
    posted.push(action.slice(action.lastIndexOf('/') + 1));
    res = action.endsWith('/login') ? await postForm(jar, action, signInFields(html, csrf, username)) : await postForm(jar, action, { csrf, decision: 'allow' });
    expect([302, 303]).toContain(res.status);
    location = new URL(res.headers.get('location')!);
  }
  throw new Error('too many redirects');
}

/** The logout confirmation page: 200 HTML, no redirect, no framing; its form and xsrf token. */
async function expectConfirmationPage(res: Response, what: string): Promise<{ action: string; xsrf: string; html: string }> {
  const html = await res.text();
  expect(res.status, `${what}: ${html.slice(0, 300)}`).toBe(200);
  expect(res.headers.get('location'), what).toBeNull();
  expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy'), what).toMatch(/frame-ancestors 'none'/);
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  expect(html, what).not.toMatch(/http-equiv\s*=\s*["']?refresh/i);
  expect(html, what).not.toMatch(/<script/i);
  expect(html, what).not.toContain('evil.example');
  expect(html, what).not.toContain(POST_LOGOUT);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  expect(action, `${what}: a confirmation form`).toBeTruthy();
  expect(xsrf, `${what}: an xsrf token`).toBeTruthy();
  expect(action!, what).toMatch(/\/session\/end\/confirm\?uid=[A-Za-z0-9_-]+$/);
  return { action: action!, xsrf: xsrf!, html };
}

function endSessionUrl(p: TestProvider, params: Record<string, string | undefined>): string {
  const url = new URL(`${p.issuer}/session/end`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}

/** A JWT with the claims of `jwt`, re-signed by a key of our own (the provider's `kid` kept). */
async function resignedByOtherKey(jwt: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<string> {
  const header = decodeProtectedHeader(jwt);
  const { privateKey } = await generateKeyPair(alg);
  return new SignJWT(decodeJwt(jwt)).setProtectedHeader({ alg, typ: 'JWT', kid: header.kid }).sign(privateKey);
}

/** The claims of `jwt` under `alg: none`: without a signature, and with the original one kept. */
function algNone(jwt: string): { unsigned: string; keptSignature: string } {
  const [, payload, signature] = jwt.split('.');
  const header = b64json({ alg: 'none', typ: 'JWT', kid: decodeProtectedHeader(jwt).kid });
  return { unsigned: `${header}.${payload}.`, keptSignature: `${header}.${payload}.${signature}` };
}

async function jwksOf(p: TestProvider): Promise<ReturnType<typeof createLocalJWKSet>> {
  const res = await fetch(`${p.issuer}/jwks`);
  expect(res.status).toBe(200);
  return createLocalJWKSet((await res.json()) as JSONWebKeySet);
}

// ------------------------------------------------------------------------------------------------
// Providers, users, clients
// ------------------------------------------------------------------------------------------------

let main: TestProvider;
let short: TestProvider;
let es384: TestProvider;

let alice: User;
let bob: User;
let rp1: Client;
let rp2: Client;
/** Implicit and hybrid response types allowed (RFC 7591: they need the implicit grant). */
let hybrid: Client;

/** On `short`: tokens minted in the setup, which expire while the other rows run. */
const shortState = {} as {
  client: Client;
  alice: User;
  aliceJar: CookieJar;
  aliceTokens: Tokens;
  carol: User;
  carolJar: CookieJar;
  carolTokens: Tokens;
  atTokens: Tokens;
};

async function setupShort(): Promise<void> {
  short = await startProvider({ JWT_OIDC_JWT_ID_TOKEN_EXPIRATION_TIME: '1', JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '1' });
  const client = await short.createClient({ postLogoutRedirectUris: [POST_LOGOUT], logoutAll: true });
  const [a, c] = await Promise.all([short.createUser(), short.createUser()]);
  const aliceJar = new CookieJar();
  const carolJar = new CookieJar();
  const [aliceTokens, carolTokens, atTokens] = await Promise.all([codeTokens(short, client, a, aliceJar), codeTokens(short, client, c, carolJar), tokensFor(short, client, a)]);
  // They expire 1 s after their iat; the rows that need them expired wait for their own `exp`.
  Object.assign(shortState, { client, alice: a, aliceJar, aliceTokens, carol: c, carolJar, carolTokens, atTokens });
}

async function setupMain(): Promise<void> {
  main = await startProvider();
  [alice, bob] = await Promise.all([main.createUser({ username: `alice-${Date.now()}` }), main.createUser({ username: `bob-${Date.now()}` })]);
  rp1 = await main.createClient({ name: 'rp1' });
  rp2 = await main.createClient({ name: 'rp2' });
  hybrid = await main.createClient({ name: 'hybrid', grantTypes: ['authorization_code', 'refresh_token', 'implicit'], responseTypes: ALL_RESPONSE_TYPES });
}

beforeAll(async () => {
  await Promise.all([setupMain(), setupShort(), startProvider({ JWT_OIDC_SIGNATURE_ALG: 'ES384' }).then((p) => (es384 = p))]);
});
afterAll(async () => {
  await Promise.all([main?.close(), short?.close(), es384?.close()]);
});

// ------------------------------------------------------------------------------------------------
// A. Authorization endpoint
// ------------------------------------------------------------------------------------------------

describe('AZ-20 prompt=none without a session', () => {
  it('AZ-20 no session cookie: login_required to the registered URI with state and iss, no UI, nothing persisted', async () => {
    const res = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, authzParams(rp1, { prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })), { redirect: 'manual' }));
    await expectAuthzError(main, res, rp1, 'login_required');
  });

  it('AZ-20 an unknown session cookie is no session: login_required, nothing persisted', async () => {
    const jar = new CookieJar();
    jar.cookies.set(SESSION_COOKIE, 'A'.repeat(43));
    const res = await expectNothingPersisted(main, () => browse(jar, authorizeUrl(main, authzParams(rp1, { prompt: 'none' }))));
    await expectAuthzError(main, res, rp1, 'login_required');
  });

  it('AZ-20 response_type=id_token (fragment mode): login_required in the fragment with state and iss, nothing persisted', async () => {
    const res = await expectNothingPersisted(main, () =>
      fetch(authorizeUrl(main, authzParams(hybrid, { response_type: 'id_token', nonce: NONCE, prompt: 'none', state: 'st-frag' })), { redirect: 'manual' }),
    );
    await expectAuthzError(main, res, hybrid, 'login_required', { mode: 'fragment', state: 'st-frag' });
  });
});

describe('AZ-21 prompt=none combined with another value', () => {
  let jar: CookieJar;
  beforeAll(async () => {
    jar = new CookieJar();
    await codeTokens(main, rp1, alice, jar);
  });

  for (const prompt of ['none login', 'none consent', 'login none', 'none select_account']) {
    it(`AZ-21 prompt="${prompt}" → invalid_request (with and without a session), nothing persisted`, async () => {
      const withSession = await expectNothingPersisted(main, () => browse(jar, authorizeUrl(main, authzParams(rp1, { prompt }))));
      await expectAuthzError(main, withSession, rp1, 'invalid_request');
      const without = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, authzParams(rp1, { prompt })), { redirect: 'manual' }));
      await expectAuthzError(main, without, rp1, 'invalid_request');
    });
  }
});

describe('AZ-22 id_token_hint for someone else', () => {
  let aliceJar: CookieJar;
  let aliceId: string;
  let bobId: string;
  let aliceIdOfRp2: string;

  beforeAll(async () => {
    aliceJar = new CookieJar();
    aliceId = (await codeTokens(main, rp1, alice, aliceJar)).id_token!;
    aliceIdOfRp2 = (await codeTokens(main, rp2, alice, aliceJar)).id_token!;
    bobId = (await tokensFor(main, rp1, bob)).id_token!;
    expect(claimsOf(bobId).sub).toBe(bob.id);
    expect(claimsOf(aliceId).sub).toBe(alice.id);
  });

  it('AZ-22 logged in as alice, prompt=none with a hint for bob: login_required, nothing issued for either, nothing persisted', async () => {
    const res = await expectNothingPersisted(main, () => browse(aliceJar, authorizeUrl(main, authzParams(rp1, { prompt: 'none', id_token_hint: bobId }))));
    await expectAuthzError(main, res, rp1, 'login_required');
  });

  it('AZ-22 logged in as alice, a hint for bob without prompt=none: the login page, not a code', async () => {
    const res = await browse(aliceJar, authorizeUrl(main, authzParams(rp1, { id_token_hint: bobId })));
    expect([302, 303]).toContain(res.status);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('code'), location.toString()).toBeNull();
    expect(location.pathname, location.toString()).toMatch(/\/interaction\/[A-Za-z0-9_-]+$/);
    const page = await browse(aliceJar, location.toString());
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(formOf(html).action, 'a login form, not consent').toMatch(/\/login$/);
  });

  it('AZ-22 control: alice\'s own (live) hint with prompt=none gives a code', async () => {
    const location = await promptNone(main, aliceJar, rp1, { id_token_hint: aliceId });
    expect(location.searchParams.get('error'), location.toString()).toBeNull();
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('st-az');
  });

  it('AZ-22 alice\'s own EXPIRED hint (signed by the provider) is accepted with prompt=none: a code', async () => {
    const { aliceJar: jar, aliceTokens, client } = shortState;
    const hint = aliceTokens.id_token!;
    await waitUntil(((claimsOf(hint).exp as number) + 1) * 1000 + 100);
    expect((claimsOf(hint).exp as number) * 1000).toBeLessThan(Date.now());
    const location = await promptNone(short, jar, client, { id_token_hint: hint });
    expect(location.searchParams.get('error'), location.toString()).toBeNull();
    expect(location.searchParams.get('code'), location.toString()).toBeTruthy();
  });

  it('AZ-22 a hint signed by another key (the provider\'s kid), with alg none, for another client, or garbage: invalid_request, nothing persisted', async () => {
    const none = algNone(aliceId);
    const cases: Record<string, string> = {
      'another key (ES256)': await resignedByOtherKey(aliceId, 'ES256'),
      'another key (RS256)': await resignedByOtherKey(aliceId, 'RS256'),
      'alg none, no signature': none.unsigned,
      'alg none, signature kept': none.keptSignature,
      'issued to rp2, sent by rp1': aliceIdOfRp2,
      'garbage': 'garbage',
      'three garbage segments': 'abc.def.ghi',
      'an access token': (await tokensFor(main, rp1, alice)).access_token,
    };
    for (const [what, hint] of Object.entries(cases)) {
      for (const prompt of ['none', undefined]) {
        const res = await expectNothingPersisted(main, () => browse(aliceJar, authorizeUrl(main, authzParams(rp1, { prompt, id_token_hint: hint }))));
        await expect(expectAuthzError(main, res, rp1, 'invalid_request'), `${what}, prompt=${prompt}`).resolves.toBeDefined();
      }
    }
  });

  it('AZ-22 a claims request for bob\'s sub while alice is logged in: login_required with prompt=none, nothing issued for either (∅DB)', async () => {
    const pkce = pkcePair();
    const claims = JSON.stringify({ id_token: { sub: { value: bob.id, essential: true } }, userinfo: { sub: { value: bob.id } } });
    const res = await expectNothingPersisted(main, () => browse(aliceJar, authorizeUrl(main, authzParams(rp1, { prompt: 'none', claims, code_challenge: pkce.challenge, code_challenge_method: 'S256', nonce: NONCE }))));
    await expectAuthzError(main, res, rp1, 'login_required');
    // Without prompt=none: the login page, for bob to log in.
    const page = await browse(aliceJar, authorizeUrl(main, authzParams(rp1, { claims, code_challenge: pkce.challenge, code_challenge_method: 'S256', nonce: NONCE })));
    expect(new URL(page.headers.get('location')!).pathname).toMatch(/\/interaction\//);
    // A claims request for alice herself is no obstacle; a malformed one is invalid_request.
    const own = await promptNone(main, aliceJar, rp1, { claims: JSON.stringify({ id_token: { sub: { value: alice.id } } }), code_challenge: pkce.challenge, code_challenge_method: 'S256', nonce: NONCE });
    expect(own.searchParams.get('code')).toBeTruthy();
    const bad = await browse(aliceJar, authorizeUrl(main, authzParams(rp1, { prompt: 'none', claims: '{not json', code_challenge: pkce.challenge, code_challenge_method: 'S256' })));
    await expectAuthzError(main, bad, rp1, 'invalid_request');
  });
});

describe('AZ-23 max_age and prompt=login force a new login', () => {
  it('AZ-23 max_age=1 after >1 s, max_age=0 and prompt=login each show the login page, and each new ID token has a later auth_time', async () => {
    const carol = await main.createUser();
    const jar = new CookieJar();
    let previous = claimsOf((await codeTokens(main, rp1, carol, jar)).id_token!).auth_time as number;
    expect(typeof previous).toBe('number');

    // Control: a generous max_age needs no new login.
    const pkce0 = pkcePair();
    const control = await drive(main, jar, authorizeUrl(main, authzParams(rp1, { max_age: '3600', code_challenge: pkce0.challenge, code_challenge_method: 'S256' })), carol.username);
    expect(control.posted, 'max_age=3600: no page').toEqual([]);
    expect(control.final.searchParams.get('code')).toBeTruthy();

    for (const extra of [{ max_age: '1' }, { max_age: '0' }, { prompt: 'login' }]) {
      await sleep(1100);
      const pkce = pkcePair();
      const run = await drive(main, jar, authorizeUrl(main, authzParams(rp1, { ...extra, nonce: NONCE, code_challenge: pkce.challenge, code_challenge_method: 'S256' })), carol.username);
      const what = JSON.stringify(extra);
      expect(run.first.pathname, `${what}: sent to the login page first`).toMatch(/\/interaction\/[A-Za-z0-9_-]+$/);
      expect(run.posted, `${what}: the login form was shown and posted`).toEqual(['login']);
      const code = run.final.searchParams.get('code');
      expect(code, `${what}: ${run.final}`).toBeTruthy();
      const idToken = claimsOf((await redeem(main, rp1, code!, pkce.verifier)).id_token!);
      expect(idToken.auth_time as number, `${what}: auth_time later than before`).toBeGreaterThan(previous);
      expect(idToken.auth_time as number).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      previous = idToken.auth_time as number;
    }
  });

  it('AZ-23 max_age=-1 and max_age=9007199254740993 (and other non-integers): invalid_request, nothing persisted', async () => {
    // (An empty max_age is an absent one: RFC 6749 §3.1.)
    for (const maxAge of ['-1', '9007199254740993', '1.5', '1e3', ' 1', '+1', 'abc', '2147483648']) {
      const res = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, authzParams(rp1, { max_age: maxAge })), { redirect: 'manual' }));
      await expect(expectAuthzError(main, res, rp1, 'invalid_request'), `max_age=${JSON.stringify(maxAge)}`).resolves.toBeDefined();
    }
  });
});

describe('AZ-24 request objects that cannot be verified, and request_uri', () => {
  const unsignedObject = (client: Client) =>
    `${b64json({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${b64json({ iss: client.clientId, aud: main.issuer, client_id: client.clientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://evil.example/cb', state: 'inner-state' })}.`;

  it('AZ-24 request=<jwt> unsigned, or signed by a key the client never registered → invalid_request_object to the registered URI only (never the object\'s redirect_uri), nothing persisted', async () => {
    const jwt = unsignedObject(rp1);
    const signed = await new SignJWT({ client_id: rp1.clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid' }).setProtectedHeader({ alg: 'ES256' }).sign((await generateKeyPair('ES256')).privateKey);
    for (const request of [jwt, signed]) {
      const full = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, authzParams(rp1, { request })), { redirect: 'manual' }));
      await expectAuthzError(main, full, rp1, 'invalid_request_object');
      // Only client_id and the object outside: the one registered URI, no state (the inner one is not used).
      const bare = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, { client_id: rp1.clientId, request }), { redirect: 'manual' }));
      await expectAuthzError(main, bare, rp1, 'invalid_request_object', { state: null });
    }
  });

  it('AZ-24 request_uri=… → request_uri_not_supported to the registered URI only, nothing persisted (and nothing fetched from it)', async () => {
    // Only the provider's own pushed-request URNs (urn:ietf:params:oauth:request_uri:…, RFC 9126)
    // are taken: an unknown one of those is an error page (docs/SECURITY.md PAR-*).
    for (const requestUri of ['https://evil.example/request.jwt', 'urn:example:request:abc']) {
      const res = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, authzParams(rp1, { request_uri: requestUri })), { redirect: 'manual' }));
      await expectAuthzError(main, res, rp1, 'request_uri_not_supported');
      const bare = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, { client_id: rp1.clientId, request_uri: requestUri }), { redirect: 'manual' }));
      await expectAuthzError(main, bare, rp1, 'request_uri_not_supported', { state: null });
    }
  });

  it('AZ-24 a client with two redirect URIs and redirect_uri only inside the object: an error page, no redirect anywhere', async () => {
    const two = await main.createClient({ redirectUris: ['https://rp.example/cb', 'https://rp.example/cb2'] });
    const res = await expectNothingPersisted(main, () => fetch(authorizeUrl(main, { client_id: two.clientId, response_type: 'code', scope: 'openid', state: 's', request: unsignedObject(two) }), { redirect: 'manual' }));
    const body = await res.text();
    expect(res.status, body.slice(0, 300)).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(body).not.toContain('evil.example');
  });
});

// ------------------------------------------------------------------------------------------------
// C. Introspection and revocation
// ------------------------------------------------------------------------------------------------

describe('IN-01 introspection requires client authentication', () => {
  let tokens: Tokens;
  let publicClient: Client;
  let publicTokens: Tokens;
  beforeAll(async () => {
    tokens = await tokensFor(main, rp1, alice);
    publicClient = await main.createClient({ name: 'spa', public: true });
    const { location, verifier } = await login(main, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, username: alice.username, scope: 'openid profile', nonce: NONCE });
    const res = await tokenRequest(main, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: publicClient.redirectUri, code_verifier: verifier! }, { clientId: publicClient.clientId });
    expect(res.status).toBe(200);
    publicTokens = (await res.json()) as Tokens;
  });

  async function expectInvalidClient(res: Response, what: string): Promise<void> {
    const text = await res.text();
    expect(res.status, `${what}: ${text}`).toBe(401);
    expect(res.headers.get('content-type'), what).toMatch(/^application\/json\b/);
    const body = JSON.parse(text) as Json;
    expect(body.error, `${what}: ${text}`).toBe('invalid_client');
    expect(Object.keys(body).every((k) => ['error', 'error_description', 'error_uri'].includes(k)), `${what}: only error members: ${text}`).toBe(true);
    expect(body, what).not.toHaveProperty('active');
    for (const claim of ['sub', 'scope', 'client_id', 'exp', 'username']) expect(body, what).not.toHaveProperty(claim);
  }

  it('IN-01 no client authentication: 401 invalid_client, nothing about the token', async () => {
    await expectInvalidClient(await endpointPost(main, '/introspect', { token: tokens.access_token }), 'no auth, AT');
    await expectInvalidClient(await endpointPost(main, '/introspect', { token: tokens.refresh_token! }), 'no auth, RT');
  });

  it('IN-01 a wrong secret (Basic and in the body): 401 invalid_client, nothing about the token', async () => {
    await expectInvalidClient(await endpointPost(main, '/introspect', { token: tokens.access_token }, { clientId: rp1.clientId, clientSecret: 'wrong-secret' }), 'wrong secret, Basic');
    await expectInvalidClient(await endpointPost(main, '/introspect', { token: tokens.access_token, client_id: rp1.clientId, client_secret: 'wrong-secret' }), 'wrong secret, body');
    await expectInvalidClient(await endpointPost(main, '/introspect', { token: tokens.access_token, client_id: rp1.clientId }), 'a confidential client with client_id only');
  });

  it('IN-01 a public client (client_id only) gets 401 invalid_client, for another client\'s token and for its own', async () => {
    const foreign = await endpointPost(main, '/introspect', { token: tokens.access_token, client_id: publicClient.clientId });
    const own = await endpointPost(main, '/introspect', { token: publicTokens.access_token, client_id: publicClient.clientId });
    const ownText = await own.clone().text();
    // Reported together, so a failure shows what a public client learns about its own token.
    expect.soft(own.status, `public client, its own AT: ${ownText}`).toBe(401);
    expect.soft(ownText, 'nothing about the token revealed').not.toMatch(/"active"|"sub"|"scope"/);
    await expectInvalidClient(foreign, 'public client, rp1 AT');
    await expectInvalidClient(own, 'public client, its own AT');
  });
});

describe('IN-02 introspection answers {"active":false} and nothing else', () => {
  let live: Tokens;
  beforeAll(async () => {
    live = await tokensFor(main, rp1, alice);
  });

  it('IN-02 control: rp1 introspecting its own live AT and RT: active with client_id, sub, scope, exp, token_type', async () => {
    const at = await expectActive(main, rp1, live.access_token, 'own AT');
    expect(at).toMatchObject({ active: true, client_id: rp1.clientId, sub: alice.id, scope: live.scope, token_type: 'Bearer', iss: main.issuer });
    expect(at.exp).toBe(claimsOf(live.access_token).exp);
    const rt = await expectActive(main, rp1, live.refresh_token!, 'own RT');
    expect(rt).toMatchObject({ active: true, client_id: rp1.clientId, sub: alice.id, scope: live.scope });
    expect(typeof rt.exp).toBe('number');
    expect(typeof rt.token_type).toBe('string');
  });

  it('IN-02 rp2 introspecting rp1\'s AT and RT (with and without hints): {"active":false}', async () => {
    await expectInactive(main, rp2, live.access_token, 'rp2 / rp1 AT');
    await expectInactive(main, rp2, live.refresh_token!, 'rp2 / rp1 RT');
    for (const hint of ['access_token', 'refresh_token']) {
      for (const token of [live.access_token, live.refresh_token!]) {
        const { status, body } = await introspect(main, rp2, token, { token_type_hint: hint });
        expect(status).toBe(200);
        expect(body).toStrictEqual({ active: false });
      }
    }
  });

  it('IN-02 an expired access token (1 s lifetime, past the 5 s skew): {"active":false}', async () => {
    const { atTokens, client } = shortState;
    await waitUntil(((claimsOf(atTokens.access_token).exp as number) + 6) * 1000 + 300);
    await expectInactive(short, client, atTokens.access_token, 'expired AT');
    await expectUserinfo(short, atTokens.access_token, 401, 'expired AT at userinfo');
    // Control on the same provider: its refresh token (longer-lived) is still active.
    await expectActive(short, client, atTokens.refresh_token!, 'RT of the expired AT');
  });

  it('IN-02 revoked via /revoke (AT and RT): {"active":false}', async () => {
    const t = await tokensFor(main, rp1, alice);
    const t2 = await tokensFor(main, rp1, alice);
    expect((await endpointPost(main, '/revoke', { token: t.access_token }, rp1)).status).toBe(200);
    await expectInactive(main, rp1, t.access_token, 'revoked AT');
    expect((await endpointPost(main, '/revoke', { token: t2.refresh_token! }, rp1)).status).toBe(200);
    await expectInactive(main, rp1, t2.refresh_token!, 'revoked RT');
  });

  it('IN-02 a consumed (rotated) refresh token: {"active":false}; its successor active', async () => {
    const t = await tokensFor(main, rp1, alice);
    const res = await refresh(main, rp1, t.refresh_token!);
    expect(res.status).toBe(200);
    const next = (await res.json()) as Tokens;
    expect(next.refresh_token).toBeTruthy();
    expect(next.refresh_token).not.toBe(t.refresh_token);
    await expectInactive(main, rp1, t.refresh_token!, 'rotated RT');
    await expectActive(main, rp1, next.refresh_token!, 'successor RT');
  });

  it('IN-02 random strings and an ID token: {"active":false}', async () => {
    const tokens = ['x', 'not-a-token', 'A'.repeat(43), 'abc.def.ghi', `${b64json({ alg: 'none' })}.${b64json({ sub: alice.id })}.`, 'Z'.repeat(9000)];
    for (const token of tokens) await expectInactive(main, rp1, token, `random ${token.slice(0, 20)}`);
    await expectInactive(main, rp1, live.id_token!, 'ID token');
    await expectInactive(main, rp1, algNone(live.access_token).keptSignature, 'AT re-signed alg none');
    await expectInactive(main, rp1, await resignedByOtherKey(live.access_token), 'AT signed by another key');
  });
});

describe('RV-01 revocation', () => {
  it('RV-01 revoking a random string: 200 with an empty body', async () => {
    for (const token of ['random-string', 'A'.repeat(43), 'abc.def.ghi']) {
      const res = await endpointPost(main, '/revoke', { token }, rp1);
      expect(res.status, token).toBe(200);
      expect(await res.text(), token).toBe('');
    }
  });

  it('RV-01 rp2 revoking rp1\'s RT or AT: an error, and the tokens stay active (userinfo 200, refresh works)', async () => {
    const t = await tokensFor(main, rp1, alice);
    for (const [token, hint] of [
      [t.refresh_token!, undefined],
      [t.access_token, undefined],
      [t.refresh_token!, 'refresh_token'],
      [t.access_token, 'access_token'],
    ] as const) {
      const res = await endpointPost(main, '/revoke', { token, ...(hint ? { token_type_hint: hint } : {}) }, rp2);
      await expectJsonError(res, 400, ['unauthorized_client', 'invalid_request']);
    }
    await expectActive(main, rp1, t.access_token, 'AT after rp2 tried');
    await expectActive(main, rp1, t.refresh_token!, 'RT after rp2 tried');
    await expectUserinfo(main, t.access_token, 200, 'AT after rp2 tried');
    const res = await refresh(main, rp1, t.refresh_token!);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('RV-01 rp1 revoking its own RT: the RT and every AT of the grant become inactive', async () => {
    const t = await tokensFor(main, rp1, alice);
    const res = await refresh(main, rp1, t.refresh_token!);
    expect(res.status).toBe(200);
    const t2 = (await res.json()) as Tokens;
    const other = await tokensFor(main, rp1, alice); // another grant: unaffected
    const revoked = await endpointPost(main, '/revoke', { token: t2.refresh_token! }, rp1);
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toBe('');
    await expectInactive(main, rp1, t2.refresh_token!, 'revoked RT');
    await expectInactive(main, rp1, t2.access_token, 'AT of the refresh');
    await expectInactive(main, rp1, t.access_token, 'first AT of the grant');
    await expectUserinfo(main, t2.access_token, 401, 'AT of the refresh');
    await expectUserinfo(main, t.access_token, 401, 'first AT of the grant');
    await expectJsonError(await refresh(main, rp1, t2.refresh_token!), 400, ['invalid_grant']);
    await expectActive(main, rp1, other.access_token, 'AT of another grant');
    await expectUserinfo(main, other.access_token, 200, 'AT of another grant');
  });

  it('RV-01 rp1 revoking its own AT: that AT inactive, its RT still works', async () => {
    const t = await tokensFor(main, rp1, alice);
    const res = await endpointPost(main, '/revoke', { token: t.access_token, token_type_hint: 'access_token' }, rp1);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await expectInactive(main, rp1, t.access_token, 'revoked AT');
    await expectUserinfo(main, t.access_token, 401, 'revoked AT');
    await expectActive(main, rp1, t.refresh_token!, 'RT of the revoked AT');
    const next = await refresh(main, rp1, t.refresh_token!);
    expect(next.status, await next.clone().text()).toBe(200);
    await expectUserinfo(main, ((await next.json()) as Tokens).access_token, 200, 'a new AT from the RT');
  });

  it('RV-01 a wrong token_type_hint still revokes; an invalid hint value is invalid_request and revokes nothing', async () => {
    const a = await tokensFor(main, rp1, alice);
    expect((await endpointPost(main, '/revoke', { token: a.access_token, token_type_hint: 'refresh_token' }, rp1)).status).toBe(200);
    await expectInactive(main, rp1, a.access_token, 'AT revoked with hint refresh_token');
    const b = await tokensFor(main, rp1, alice);
    expect((await endpointPost(main, '/revoke', { token: b.refresh_token!, token_type_hint: 'access_token' }, rp1)).status).toBe(200);
    await expectInactive(main, rp1, b.refresh_token!, 'RT revoked with hint access_token');
    await expectInactive(main, rp1, b.access_token, 'AT of the RT revoked with hint access_token');

    const d = await tokensFor(main, rp1, alice);
    for (const hint of ['id_token', 'foo']) {
      await expectJsonError(await endpointPost(main, '/revoke', { token: d.refresh_token!, token_type_hint: hint }, rp1), 400, ['invalid_request']);
      await expectJsonError(await endpointPost(main, '/revoke', { token: d.access_token, token_type_hint: hint }, rp1), 400, ['invalid_request']);
    }
    await expectActive(main, rp1, d.refresh_token!, 'RT after invalid hints');
    await expectActive(main, rp1, d.access_token, 'AT after invalid hints');
  });
});

// ------------------------------------------------------------------------------------------------
// I. Logout
// ------------------------------------------------------------------------------------------------

describe('SE-08 the session after end_session', () => {
  it('SE-08 logoutAll client, valid id_token_hint: logged out; the old cookie replayed with prompt=none gets login_required; the sessions row is gone', async () => {
    const client = await main.createClient({ name: 'logout-all', logoutAll: true, postLogoutRedirectUris: [POST_LOGOUT] });
    const user = await main.createUser();
    const jar = new CookieJar();
    const t = await codeTokens(main, client, user, jar);
    const cookie = jar.cookies.get(SESSION_COOKIE);
    expect(cookie).toBeTruthy();
    const sid = claimsOf(t.id_token!).sid as string;
    expect(typeof sid).toBe('string');
    expect(await sessionRows(main, sid)).toBe(1);

    const res = await browse(jar, endSessionUrl(main, { id_token_hint: t.id_token, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' }));
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe(`${POST_LOGOUT}?state=bye`);
    expect(jar.cookies.has(SESSION_COOKIE), 'the session cookie is cleared').toBe(false);
    expect(await sessionRows(main, sid), 'the session row is deleted').toBe(0);

    const replay = new CookieJar();
    replay.cookies.set(SESSION_COOKIE, cookie!);
    const again = await browse(replay, authorizeUrl(main, authzParams(client, { prompt: 'none' })));
    await expectAuthzError(main, again, client, 'login_required');
    // The session's grants ended too.
    await expectJsonError(await refresh(main, client, t.refresh_token!), 400, ['invalid_grant']);
    await expectUserinfo(main, t.access_token, 401, 'AT after logout');
  });

  it('SE-08 a client with logoutAll=false ends only its own grants: its RT fails, the session and other clients\' grants remain', async () => {
    const own = await main.createClient({ name: 'logout-own', logoutAll: false });
    const other = await main.createClient({ name: 'other' });
    const user = await main.createUser();
    const jar = new CookieJar();
    const mine = await codeTokens(main, own, user, jar);
    const theirs = await codeTokens(main, other, user, jar);
    const sid = claimsOf(mine.id_token!).sid as string;
    expect(claimsOf(theirs.id_token!).sid).toBe(sid);

    const res = await browse(jar, endSessionUrl(main, { id_token_hint: mine.id_token }));
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(html).not.toContain('name="xsrf"'); // verified: no confirmation needed

    await expectJsonError(await refresh(main, own, mine.refresh_token!), 400, ['invalid_grant']);
    await expectUserinfo(main, mine.access_token, 401, 'AT of the logged-out client');
    expect(await sessionRows(main, sid), 'the session remains').toBe(1);
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(true);
    await expectSessionWorks(main, jar, other, 'prompt=none for the other client');
    const r = await refresh(main, other, theirs.refresh_token!);
    expect(r.status, await r.clone().text()).toBe(200);
  });
});

describe('SE-09 unregistered post_logout_redirect_uri', () => {
  it('SE-09 a valid id_token_hint with post_logout_redirect_uri=https://evil.example/: a confirmation page, no redirect, even after confirming', async () => {
    const client = await main.createClient({ name: 'se09', logoutAll: true, postLogoutRedirectUris: [POST_LOGOUT] });
    const user = await main.createUser();
    const jar = new CookieJar();
    const t = await codeTokens(main, client, user, jar);
    for (const uri of [EVIL, 'https://evil.example/logged-out', `${POST_LOGOUT}/x`, `${POST_LOGOUT}?a=1`, 'https://rp.example/cb']) {
      const res = await browse(jar, endSessionUrl(main, { id_token_hint: t.id_token, post_logout_redirect_uri: uri, state: 's9' }));
      await expectConfirmationPage(res, uri);
    }
    await expectSessionWorks(main, jar, client, 'the GETs did not log out');
    const res = await browse(jar, endSessionUrl(main, { id_token_hint: t.id_token, post_logout_redirect_uri: EVIL, state: 's9' }));
    const { action, xsrf } = await expectConfirmationPage(res, 'evil');
    const confirmed = await postForm(jar, action, { xsrf, logout: 'yes' });
    const html = await confirmed.text();
    expect(confirmed.status, html.slice(0, 300)).toBe(200);
    expect(confirmed.headers.get('location')).toBeNull();
    expect(html).not.toContain('evil.example');
    await expectLoggedOut(main, jar, client, 'after confirming');
  });
});

describe('SE-11 unverifiable id_token_hint at logout', () => {
  it('SE-11 alg none, another key, another client than client_id, garbage: a confirmation page, no redirect, the session intact', async () => {
    const client = await main.createClient({ name: 'se11', logoutAll: true, postLogoutRedirectUris: [POST_LOGOUT] });
    const otherClient = await main.createClient({ name: 'se11-other', logoutAll: true, postLogoutRedirectUris: [POST_LOGOUT] });
    const user = await main.createUser();
    const jar = new CookieJar();
    const t = await codeTokens(main, client, user, jar);
    const ofOther = await codeTokens(main, otherClient, user, jar);
    const sid = claimsOf(t.id_token!).sid as string;
    const none = algNone(t.id_token!);
    const cases: Record<string, string> = {
      'alg none, no signature': none.unsigned,
      'alg none, signature kept': none.keptSignature,
      'another key (ES256, provider kid)': await resignedByOtherKey(t.id_token!, 'ES256'),
      'another key (RS256, provider kid)': await resignedByOtherKey(t.id_token!, 'RS256'),
      'issued to another client': ofOther.id_token!,
      'garbage': 'garbage',
      'three garbage segments': 'abc.def.ghi',
      'an access token': t.access_token,
    };
    for (const [what, hint] of Object.entries(cases)) {
      const res = await browse(jar, endSessionUrl(main, { id_token_hint: hint, client_id: client.clientId, post_logout_redirect_uri: POST_LOGOUT, state: 's11' }));
      await expectConfirmationPage(res, what);
    }
    expect(await sessionRows(main, sid)).toBe(1);
    await expectSessionWorks(main, jar, client, 'after the bad hints');
    await expectUserinfo(main, t.access_token, 200, 'AT after the bad hints');
  });

  it('SE-11 an EXPIRED but provider-signed hint with a registered URI: logged out and redirected (303) with state', async () => {
    const { carolJar: jar, carolTokens, client } = shortState;
    const hint = carolTokens.id_token!;
    await waitUntil(((claimsOf(hint).exp as number) + 1) * 1000 + 100);
    expect((claimsOf(hint).exp as number) * 1000).toBeLessThan(Date.now());
    const sid = claimsOf(hint).sid as string;
    expect(await sessionRows(short, sid)).toBe(1);
    const res = await browse(jar, endSessionUrl(short, { id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, state: 's11-expired' }));
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe(`${POST_LOGOUT}?state=s11-expired`);
    expect(await sessionRows(short, sid)).toBe(0);
    await expectLoggedOut(short, jar, client, 'after the logout');
  });
});

describe('SE-12 post_logout_redirect_uri without hint or client_id', () => {
  it('SE-12 no hint, no client_id: a confirmation page, and no redirect after confirming either', async () => {
    const client = await main.createClient({ name: 'se12', logoutAll: true, postLogoutRedirectUris: [POST_LOGOUT] });
    const user = await main.createUser();
    const jar = new CookieJar();
    await codeTokens(main, client, user, jar);
    for (const uri of [POST_LOGOUT, EVIL]) {
      const res = await browse(jar, endSessionUrl(main, { post_logout_redirect_uri: uri, state: 's12' }));
      await expectConfirmationPage(res, uri);
    }
    await expectSessionWorks(main, jar, client, 'the GETs did not log out');
    const { action, xsrf } = await expectConfirmationPage(await browse(jar, endSessionUrl(main, { post_logout_redirect_uri: POST_LOGOUT, state: 's12' })), 'registered URI');
    const confirmed = await postForm(jar, action, { xsrf, logout: 'yes' });
    const html = await confirmed.text();
    expect(confirmed.status, html.slice(0, 300)).toBe(200);
    expect(confirmed.headers.get('location'), 'no redirect: the target was never verified').toBeNull();
    await expectLoggedOut(main, jar, client, 'after confirming');
  });
});

describe('SE-13 logout CSRF', () => {
  it('SE-13 GET /session/end without a hint only shows the confirmation page (no framing); the session still works', async () => {
    const client = await main.createClient({ name: 'se13a', logoutAll: true });
    const user = await main.createUser();
    const jar = new CookieJar();
    const t = await codeTokens(main, client, user, jar);
    const sid = claimsOf(t.id_token!).sid as string;
    await expectConfirmationPage(await browse(jar, endSessionUrl(main, {})), 'plain GET');
    // POST /session/end without a hint: the same.
    await expectConfirmationPage(await postForm(jar, `${main.issuer}/session/end`, {}), 'plain POST');
    expect(await sessionRows(main, sid)).toBe(1);
    await expectSessionWorks(main, jar, client, 'after the plain GET');
  });

  it('SE-13 POST /session/end/confirm with a missing or wrong xsrf (or without the interaction cookie): 400, the session intact; the right one with logout=yes logs out without a redirect', async () => {
    const client = await main.createClient({ name: 'se13b', logoutAll: true });
    const user = await main.createUser();
    const jar = new CookieJar();
    const t = await codeTokens(main, client, user, jar);
    const sid = claimsOf(t.id_token!).sid as string;
    const { action, xsrf } = await expectConfirmationPage(await browse(jar, endSessionUrl(main, {})), 'plain GET');

    const crossSite = new CookieJar(); // the session cookie only (no interaction cookie)
    crossSite.cookies.set(SESSION_COOKIE, jar.cookies.get(SESSION_COOKIE)!);
    const attempts: [string, CookieJar, Record<string, string>][] = [
      ['missing xsrf', jar, { logout: 'yes' }],
      ['empty xsrf', jar, { xsrf: '', logout: 'yes' }],
      ['wrong xsrf', jar, { xsrf: `${xsrf.slice(0, -2)}xx`, logout: 'yes' }],
      ['right xsrf, no interaction cookie', crossSite, { xsrf, logout: 'yes' }],
    ];
    for (const [what, j, fields] of attempts) {
      const res = await postForm(j, action, fields);
      const html = await res.text();
      expect(res.status, `${what}: ${html.slice(0, 300)}`).toBe(400);
      expect(res.headers.get('location'), what).toBeNull();
      expect(html, what).toMatch(/invalid_request/);
      expect(res.headers.get('x-frame-options'), what).toBe('DENY');
      expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)), `${what}: the session cookie is untouched`).toBe(false);
    }
    // A wrong uid with the right xsrf: 400 as well.
    const wrongUid = await postForm(jar, action.replace(/uid=[^&]+/, `uid=${'A'.repeat(22)}`), { xsrf, logout: 'yes' });
    expect(wrongUid.status).toBe(400);
    expect(await sessionRows(main, sid)).toBe(1);
    await expectSessionWorks(main, jar, client, 'after the forged confirmations');
    await expectUserinfo(main, t.access_token, 200, 'AT after the forged confirmations');

    const res = await postForm(jar, action, { xsrf, logout: 'yes' });
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    // The spent interaction's cookie is cleared on its own path.
    expect(res.headers.getSetCookie().some((c) => c.startsWith('jwt-oidc.interaction=;') && /Max-Age=0/i.test(c) && c.includes('Path=/session/end/confirm'))).toBe(true);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await sessionRows(main, sid)).toBe(0);
    await expectLoggedOut(main, jar, client, 'after confirming');
    await expectUserinfo(main, t.access_token, 401, 'AT after logout');
    // The confirmation is single-use.
    expect((await postForm(jar, action, { xsrf, logout: 'yes' })).status).toBe(400);
  });

  it('SE-13 logout=no keeps the session', async () => {
    const client = await main.createClient({ name: 'se13c', logoutAll: true });
    const user = await main.createUser();
    const jar = new CookieJar();
    await codeTokens(main, client, user, jar);
    const { action, xsrf } = await expectConfirmationPage(await browse(jar, endSessionUrl(main, {})), 'plain GET');
    const res = await postForm(jar, action, { xsrf, logout: 'no' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    await expectSessionWorks(main, jar, client, 'after logout=no');
  });
});

// ------------------------------------------------------------------------------------------------
// F. ID-05 from the provider's side: c_hash and at_hash
// ------------------------------------------------------------------------------------------------

describe('ID-05 (provider side) c_hash and at_hash in ID tokens from the authorization endpoint', () => {
  /** A browser logged in to `client` (consent given), for direct implicit/hybrid requests. */
  async function session(p: TestProvider, client: Client): Promise<{ jar: CookieJar; user: User }> {
    const user = await p.createUser();
    const jar = new CookieJar();
    const { location } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, scope: 'openid profile email', jar });
    expect(location.searchParams.get('code'), location.toString()).toBeTruthy();
    return { jar, user };
  }

  async function fragmentResponse(p: TestProvider, jar: CookieJar, client: Client, responseType: string, nonce: string): Promise<URLSearchParams> {
    const res = await browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: responseType, scope: 'openid profile', state: 'st-h', nonce }));
    expect(res.status, await res.clone().text()).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    expect(location.search, 'no token in the query').toBe('');
    const f = new URLSearchParams(location.hash.slice(1));
    expect(f.get('error'), location.toString()).toBeNull();
    expect(f.get('state')).toBe('st-h');
    expect(f.get('iss')).toBe(p.issuer);
    return f;
  }

  async function verifiedIdToken(p: TestProvider, idToken: string, client: Client, alg: string, nonce: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(idToken, await jwksOf(p), { issuer: p.issuer, audience: client.clientId, algorithms: [alg] });
    expect(protectedHeader.alg).toBe(alg);
    expect(payload.nonce, 'the nonce is echoed').toBe(nonce);
    return payload;
  }

  const cases: { name: string; provider: () => TestProvider; rs256: boolean; alg: string; hash: 'sha256' | 'sha384' }[] = [
    { name: 'ES256 server', provider: () => main, rs256: false, alg: 'ES256', hash: 'sha256' },
    { name: 'ES256 server, client registered RS256', provider: () => main, rs256: true, alg: 'RS256', hash: 'sha256' },
    { name: 'ES384 server', provider: () => es384, rs256: false, alg: 'ES384', hash: 'sha384' },
    { name: 'ES384 server, client registered RS256', provider: () => es384, rs256: true, alg: 'RS256', hash: 'sha256' },
  ];

  for (const c of cases) {
    it(`ID-05 ${c.name}: ${c.alg} signature, c_hash / at_hash with ${c.hash.toUpperCase()}, present exactly when required`, async () => {
      const p = c.provider();
      const client = await p.createClient({ name: 'hybrid', grantTypes: ['authorization_code', 'refresh_token', 'implicit'], responseTypes: ALL_RESPONSE_TYPES, ...(c.rs256 ? { idTokenSignedResponseAlg: 'RS256' as const } : {}) });
      const { jar, user } = await session(p, client);

      // code id_token: c_hash only.
      let f = await fragmentResponse(p, jar, client, 'code id_token', 'nonce-ci');
      let code = f.get('code')!;
      expect(code).toBeTruthy();
      expect(f.get('access_token')).toBeNull();
      let claims = await verifiedIdToken(p, f.get('id_token')!, client, c.alg, 'nonce-ci');
      expect(claims.sub).toBe(user.id);
      expect(claims.c_hash, 'c_hash').toBe(expectedHalfHash(code, c.hash));
      expect(claims, 'no at_hash without an access token').not.toHaveProperty('at_hash');
      // The code the c_hash covers is the one that redeems.
      const redeemed = await redeem(p, client, code);
      expect(claimsOf(redeemed.id_token!).sub).toBe(user.id);

      // id_token token: at_hash only.
      f = await fragmentResponse(p, jar, client, 'id_token token', 'nonce-it');
      const at = f.get('access_token')!;
      expect(at).toBeTruthy();
      expect(f.get('token_type')).toBe('Bearer');
      expect(f.get('code')).toBeNull();
      claims = await verifiedIdToken(p, f.get('id_token')!, client, c.alg, 'nonce-it');
      expect(claims.at_hash, 'at_hash').toBe(expectedHalfHash(at, c.hash));
      expect(claims, 'no c_hash without a code').not.toHaveProperty('c_hash');
      await expectUserinfo(p, at, 200, 'implicit AT');

      // code id_token token: both.
      f = await fragmentResponse(p, jar, client, 'code id_token token', 'nonce-cit');
      code = f.get('code')!;
      const at2 = f.get('access_token')!;
      expect(code).toBeTruthy();
      expect(at2).toBeTruthy();
      claims = await verifiedIdToken(p, f.get('id_token')!, client, c.alg, 'nonce-cit');
      expect(claims.c_hash, 'c_hash').toBe(expectedHalfHash(code, c.hash));
      expect(claims.at_hash, 'at_hash').toBe(expectedHalfHash(at2, c.hash));

      // id_token: neither.
      f = await fragmentResponse(p, jar, client, 'id_token', 'nonce-i');
      expect(f.get('code')).toBeNull();
      expect(f.get('access_token')).toBeNull();
      claims = await verifiedIdToken(p, f.get('id_token')!, client, c.alg, 'nonce-i');
      expect(claims).not.toHaveProperty('c_hash');
      expect(claims).not.toHaveProperty('at_hash');
      expect(claims.sub).toBe(user.id);

      // code token: no ID token at all from the authorization endpoint.
      f = await fragmentResponse(p, jar, client, 'code token', 'nonce-ct');
      expect(f.get('code')).toBeTruthy();
      expect(f.get('access_token')).toBeTruthy();
      expect(f.get('id_token')).toBeNull();
    });
  }

  it('ID-05 response_mode=form_post: a 200 page whose form POSTs the hidden fields to the redirect URI, under a script-src nonce', async () => {
    const { jar } = await session(main, hybrid);
    const res = await browse(jar, authorizeUrl(main, { client_id: hybrid.clientId, redirect_uri: hybrid.redirectUri, response_type: 'code id_token', response_mode: 'form_post', scope: 'openid profile', state: 'st-fp', nonce: 'nonce-fp' }));
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);

    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
    expect(form, html.slice(0, 500)).not.toBeNull();
    expect(form![1]).toMatch(/method="post"/i);
    expect(/action="([^"]*)"/.exec(form![1]!)?.[1]?.replace(/&amp;/g, '&')).toBe(hybrid.redirectUri);
    const fields: Record<string, string> = {};
    for (const m of form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&');
    expect(Object.keys(fields).sort()).toEqual(['code', 'id_token', 'iss', 'state']);
    expect(fields.state).toBe('st-fp');
    expect(fields.iss).toBe(main.issuer);
    const claims = await verifiedIdToken(main, fields.id_token!, hybrid, 'ES256', 'nonce-fp');
    expect(claims.c_hash).toBe(expectedHalfHash(fields.code!, 'sha256'));

    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9_+/=-]+)'/.exec(csp)?.[1];
    expect(nonce, csp).toBeTruthy();
    expect(csp).not.toMatch(/unsafe-inline/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/gi)];
    expect(scripts.length).toBe(1);
    expect(scripts[0]![1]).toContain(`nonce="${nonce}"`);
    expect(html).not.toContain('evil.example');
  });
});
