/**
 * `@jwt-oidc/apollo` and `bearerAuth` of `@jwt-oidc/express` as a user meets them: a separate
 * resource server (test/e2e/fixtures/apollo-server.mjs, a child `node` process importing the
 * package by name, Apollo Server 5 on Express 5) on a real loopback port, trusting tokens of
 *   - our provider (discovery, JWKS, userinfo, key rotation),
 *   - JWKS servers run here with keys we hold, to forge any token (docs/SECURITY.md JW rows for the
 *     "API bearer" consumer), to count JWKS fetches (JW-20, JW-21), and to take the issuer away
 *     (503, not 401),
 *   - oidc-provider 9 issuing RFC 9068 JWT access tokens by resource indicator.
 * Plus a type-graphql code-first schema in this process, with the package imported by name too.
 * No timing assertions: the waits below only let a configured cooldown or clock pass.
 */
import 'reflect-metadata';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants, createHmac, createPublicKey, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CompactEncrypt, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { Ctx, Directive, Field, ObjectType, Query, Resolver, buildSchema } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, startProvider, tokensFor, type TestProvider } from '../support/provider.js';
import { OP_RESOURCE, startOidcProvider } from '../support/reference-op.js';

/** The package's public entry points, imported by name at run time (see `importPackage`). */
type ApolloEntry = typeof import('../../packages/apollo/src/index.js');

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/apollo-server.mjs', import.meta.url));
/** This API, the audience its tokens must name. */
const API = 'https://api.example/graphql';
/** The issuer of tokens we forge; its keys are served by our own JWKS servers. */
const FORGED_ISSUER = 'https://op.example';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * By name, the way a user imports it, resolved through package.json `exports` (self-reference).
 * The specifier is a variable so that type-checking (which runs before `dist/` is built) does not
 * need `dist/`; the type comes from the sources the entry is built from.
 */
async function importPackage<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}

// ---- keys and hand-made JWS -------------------------------------------------------------------

interface TestKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as a JWKS serves it. */
  jwk: JWK;
}

function newKey(alg: 'ES256' | 'RS256', kid: string = randomUUID()): TestKey {
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' } };
}

/** base64url of bytes, of a string, or of a value's JSON. */
const seg = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))).toString('base64url');

function signature(alg: string, input: string, key: KeyObject | Buffer | string): Buffer {
  const data = Buffer.from(input);
  switch (alg) {
    case 'ES256':
      return cryptoSign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'ES256-DER':
      return cryptoSign('sha256', data, { key: key as KeyObject, dsaEncoding: 'der' });
    case 'RS256':
      return cryptoSign('sha256', data, key as KeyObject);
    case 'PS256':
      return cryptoSign('sha256', data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'HS256':
      return createHmac('sha256', key as Buffer | string).update(input).digest();
    default:
      throw new Error(`no signer for ${alg}`);
  }
}

/**
 * A compact JWS of exactly the given header and payload (objects are JSON-encoded, Buffers taken
 * as they are), signed with `key` by `alg` (default: the header's alg). Nothing is checked, so
 * any malformed token can be made with a real signature.
 */
function jws(header: unknown, payload: unknown, key: KeyObject | Buffer | string, alg = (header as { alg: string }).alg): string {
  const input = `${seg(header)}.${seg(payload)}`;
  return `${input}.${signature(alg, input, key).toString('base64url')}`;
}

/** Claims of a good access token for this API from FORGED_ISSUER; `undefined` removes one. */
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: FORGED_ISSUER, sub: 'alice', aud: API, client_id: 'rp1', scope: 'read', iat: nowS(), exp: nowS() + 300, jti: randomUUID(), ...over };
}

/** A good RFC 9068 access token signed by `key` (claims and header members can be changed). */
function forge(key: TestKey, over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return jws({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }, claims(over), key.privateKey);
}

const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;

// ---- servers run by this test -----------------------------------------------------------------

interface JwksServer {
  jwksUri: string;
  port: number;
  /** GET requests for the key set so far. */
  gets: number;
  keys: JWK[];
  /** Stops answering (connections refused). */
  close(): Promise<void>;
  /** Answers again, on the same port. */
  reopen(): Promise<void>;
}

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  await closed;
}

/** A JWKS on loopback whose keys the test changes, counting its fetches. */
async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let server: Server;
  const state: JwksServer = {
    jwksUri: '',
    port: 0,
    gets: 0,
    keys,
    close: () => closeServer(server),
    reopen: async () => {
      server = make();
      await listen(server, state.port);
    },
  };
  const make = () =>
    createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/jwks') {
        state.gets++;
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: state.keys }));
      } else res.writeHead(404).end();
    });
  server = make();
  state.port = await listen(server);
  state.jwksUri = `http://127.0.0.1:${state.port}/jwks`;
  return state;
}

/** An attacker's server (JW-07): serves its own key set and records every request it gets. */
async function startRecorder(keys: JWK[]): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, hits, close: () => closeServer(server) };
}

// ---- the resource server in a child process ----------------------------------------------------

interface Fixture {
  url: string;
  child: ChildProcessWithoutNullStreams;
  stderr: string[];
}

async function startFixture(config: object): Promise<Fixture> {
  const child = spawn(process.execPath, [FIXTURE], { cwd: ROOT, env: { ...process.env, APOLLO_FIXTURE: JSON.stringify(config) } });
  const stderr: string[] = [];
  child.stderr.on('data', (d) => stderr.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the fixture server did not start:\n${stderr.join('')}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the fixture server exited (${code}):\n${stderr.join('')}`));
    });
  });
  return { url, child, stderr };
}

interface Reply {
  status: number;
  headers: Headers;
  www: string | null;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
}

let fixture: Fixture;

/** POST a GraphQL operation to the fixture's Apollo server `name`, as a JSON client. */
async function gql(name: string, query: string, o: { token?: string; authorization?: string; search?: string; operationName?: string; endpoint?: string } = {}): Promise<Reply> {
  const authorization = o.authorization ?? (o.token !== undefined ? `Bearer ${o.token}` : undefined);
  const res = await fetch(`${o.endpoint ?? `${fixture.url}/${name}/graphql`}${o.search ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
    body: JSON.stringify({ query, ...(o.operationName ? { operationName: o.operationName } : {}) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, www: res.headers.get('www-authenticate'), body: JSON.parse(text) };
}

/** GET the fixture's bearerAuth route `name`. */
async function rest(name: string, o: { token?: string; search?: string } = {}) {
  const res = await fetch(`${fixture.url}/${name}/rest${o.search ?? ''}`, { headers: o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {} });
  return { status: res.status, headers: res.headers, www: res.headers.get('www-authenticate'), body: (await res.json()) as any };
}

/** Every URL the fixture process has fetched so far. */
async function outbound(): Promise<string[]> {
  return ((await (await fetch(`${fixture.url}/__control/outbound`)).json()) as { urls: string[] }).urls;
}

/** Moves the clock of the fixture's server `name` (those configured with `clock`). */
async function setClock(name: string, offsetMs: number): Promise<void> {
  const res = await fetch(`${fixture.url}/__control/clock/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offset: offsetMs }) });
  expect(res.status).toBe(200);
}

/** RFC 6750 §3.1: a 401 whose challenge names invalid_token, and no data at all. */
function expectInvalidToken(r: Pick<Reply, 'status' | 'www' | 'body'>, what = ''): void {
  expect(r.status, `${what} ${JSON.stringify(r.body)}`).toBe(401);
  expect(r.www, what).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]*"$/);
  expect(r.body.data, what).toBeUndefined();
  expect(r.body.errors?.[0]?.extensions?.code, what).toBe('UNAUTHENTICATED');
}

/** A challenge without credentials names no error (RFC 6750 §3.1). */
function expectAuthenticationRequired(r: Reply, realm: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(401);
  expect(r.www).toBe(`Bearer realm="${realm}"`);
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
}

// ---- the world ----------------------------------------------------------------------------------

let provider: TestProvider;
let op: Awaited<ReturnType<typeof startOidcProvider>>;
let user: { id: string; username: string; password: string };
let rp: { clientId: string; clientSecret?: string; redirectUri: string };
let m2m: { clientId: string; clientSecret?: string };
let otherApi: { clientId: string; clientSecret?: string };
/** A user's access token for API with `read` (and openid: userinfo works). */
let userToken: string;

// Keys we hold. A: one ES256 and one RS256 key (forging; a single key per type, JW-22).
// B: two ES256 keys (JW-22). C: the random-kid burst and rotation (JW-20, JW-21). D: the LRU.
// E: a key set that is gone before first use (503).
const keys = {
  a: newKey('ES256'),
  aRsa: newKey('RS256'),
  b1: newKey('ES256'),
  b2: newKey('ES256'),
  c1: newKey('ES256'),
  c2: newKey('ES256'),
  d1: newKey('ES256'),
  d2: newKey('ES256'),
  e: newKey('ES256'),
  attacker: newKey('ES256'),
};
let jA: JwksServer, jB: JwksServer, jC: JwksServer, jD: JwksServer, jE: JwksServer;
let attacker: Awaited<ReturnType<typeof startRecorder>>;
/** A port nobody listens on: an issuer whose discovery cannot be reached. */
let deadPort: number;

beforeAll(async () => {
  [provider, op, jA, jB, jC, jD, jE, attacker] = await Promise.all([
    startProvider({ JWT_OIDC_API_SCOPES: 'read,write' }),
    startOidcProvider(),
    startJwksServer([keys.a.jwk, keys.aRsa.jwk]),
    startJwksServer([keys.b1.jwk, keys.b2.jwk]),
    startJwksServer([keys.c1.jwk]),
    startJwksServer([keys.d1.jwk]),
    startJwksServer([keys.e.jwk]),
    startRecorder([keys.attacker.jwk]),
  ]);
  // The issuer goes away before the API first needs its keys (reopened by the 503 test).
  await jE.close();
  const probe = createServer();
  deadPort = await listen(probe);
  await closeServer(probe);

  user = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell' });
  // A client whose access tokens also name this API (extra audience).
  rp = await provider.createClient({ audiences: [API], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  m2m = await provider.createClient({ name: 'Reports job', audiences: [API], grantTypes: ['client_credentials'], admin: true });
  otherApi = await provider.createClient({ name: 'No API audience', grantTypes: ['client_credentials'] });
  userToken = (await tokensFor(provider, rp, user, 'openid profile email read')).access_token;

  // Every server a resource-server author would write, against each issuer. Those facing our
  // provider refetch its JWKS at most once a second, so a rotated key is picked up quickly.
  const ours = { issuer: provider.issuer, audience: API, allowInsecureRequests: true, jwksCooldown: 1000 };
  // Our JWKS servers speak http on loopback: allowInsecureRequests says so.
  const forged = (jwks: JwksServer, extra: object = {}) => ({ issuer: FORGED_ISSUER, jwksUri: jwks.jwksUri, audience: API, allowInsecureRequests: true, ...extra });
  fixture = await startFixture({
    apollo: {
      p: { plugin: ours },
      pRequired: { plugin: { ...ours, requireAuth: true } },
      pClock: { plugin: ours, clock: true },
      pRotation: { plugin: ours },
      a: { plugin: forged(jA) },
      // Keys served, userinfo endpoint gone: userinfo() alone cannot reach the provider.
      noUserinfo: { plugin: forged(jA, { userinfoEndpoint: `http://127.0.0.1:${deadPort}/userinfo` }) },
      b: { plugin: forged(jB) },
      c: { plugin: forged(jC, { jwksCooldown: 3000 }) },
      d: { plugin: forged(jD, { jwksCooldown: 1000 }), clock: true },
      down: { plugin: forged(jE) },
      noDiscovery: { plugin: { issuer: `http://127.0.0.1:${deadPort}`, audience: API, allowInsecureRequests: true } },
      op: { plugin: { issuer: op.issuer, audience: OP_RESOURCE, allowInsecureRequests: true } },
    },
    rest: {
      rest: { options: ours },
      restRead: { options: { ...ours, scopes: [['read']] } },
      restOptional: { options: { ...ours, optional: true } },
      restDown: { options: forged(jE) },
    },
  });
});

afterAll(async () => {
  if (fixture) {
    fixture.child.kill('SIGTERM');
    if (fixture.child.exitCode === null) await once(fixture.child, 'exit');
  }
  await Promise.all([jA, jB, jC, jD, jE].map((j) => j?.close()));
  await attacker?.close();
  await op?.close();
  await provider?.close();
});

// ---- the tests ------------------------------------------------------------------------------------

describe('jwtOidcPlugin in a separate Apollo Server, against our provider', () => {
  it('a valid token: data, and getAuth(ctx) gives sub, client, scopes and the verified claims', async () => {
    const r = await gql('p', '{ hello whoami { sub clientId scopes claims idToken } }', { token: userToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const who = r.body.data.whoami;
    expect(r.body.data.hello).toBe('world');
    expect(who).toMatchObject({ sub: user.id, clientId: rp.clientId, idToken: false });
    expect(who.scopes).toEqual(expect.arrayContaining(['openid', 'read']));
    const c = JSON.parse(who.claims);
    expect(c).toMatchObject({ iss: provider.issuer, sub: user.id, client_id: rp.clientId });
    expect(c.aud).toContain(API);
  });

  it('userinfo() answers from the provider and is fetched once per token', async () => {
    const userinfoFetches = async () => (await outbound()).filter((u) => u === `${provider.issuer}/userinfo`).length;
    const before = await userinfoFetches();
    // Three requests with one token, two of them at once: one request to the provider.
    const [first, ...again] = await Promise.all([1, 2, 3].map(() => gql('p', '{ userinfo }', { token: userToken })));
    for (const r of [first!, ...again]) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(JSON.parse(r.body.data.userinfo)).toMatchObject({ sub: user.id, preferred_username: user.username, given_name: 'Alice' });
    }
    expect(await userinfoFetches()).toBe(before + 1);
    const r = await gql('p', '{ userinfo }', { token: userToken });
    expect(r.status).toBe(200);
    expect(await userinfoFetches()).toBe(before + 1);
    // Another token is another caller: its own request.
    const second = (await tokensFor(provider, rp, user, 'openid profile')).access_token;
    expect((await gql('p', '{ userinfo }', { token: second })).status).toBe(200);
    expect(await userinfoFetches()).toBe(before + 2);
  });

  it('userinfo() is null, not an error, for client_credentials tokens (no end-user): the admin scope and an API scope; the provider is not asked', async () => {
    const userinfoFetches = async () => (await outbound()).filter((u) => u === `${provider.issuer}/userinfo`).length;
    const before = await userinfoFetches();
    for (const scope of ['admin', 'read']) {
      const r = await gql('p', '{ userinfo whoami { sub } }', { token: await clientToken(provider, m2m, scope) });
      expect(r.status, `${scope}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.errors, scope).toBeUndefined();
      expect(r.body.data, scope).toEqual({ userinfo: 'null', whoami: { sub: m2m.clientId } });
    }
    expect(await userinfoFetches()).toBe(before);
  });

  it("userinfo() is null when the provider refuses a user's token with 401 invalid_token (its grant revoked since)", async () => {
    const tokens = await tokensFor(provider, rp, user, 'openid profile read');
    const revoke = await fetch(`${provider.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret!)}`).toString('base64')}` },
      body: new URLSearchParams({ token: tokens.access_token, token_type_hint: 'access_token' }),
    });
    expect(revoke.status).toBe(200);
    const atProvider = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(atProvider.status).toBe(401);
    expect(atProvider.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    // The API verifies the JWT itself (no introspection): the caller is known, the end-user is not.
    const r = await gql('p', '{ userinfo whoami { sub } }', { token: tokens.access_token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({ userinfo: 'null', whoami: { sub: user.id } });
  });

  it('userinfo() with the provider unreachable: SERVICE_UNAVAILABLE, HTTP 503 with Retry-After — not null, not INTERNAL_SERVER_ERROR', async () => {
    const r = await gql('noUserinfo', '{ hello userinfo }', { token: forge(keys.a, { scope: 'openid read' }) });
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect((r.body.errors?.[0] as { path?: unknown } | undefined)?.path).toEqual(['userinfo']);
    // Without openid the provider need not be asked: null, and the operation succeeds.
    const m2m = await gql('noUserinfo', '{ userinfo }', { token: forge(keys.a, { scope: 'read' }) });
    expect(m2m.status, JSON.stringify(m2m.body)).toBe(200);
    expect(m2m.body.data).toEqual({ userinfo: 'null' });
  });

  it('an expired token gets 401 invalid_token: exp + 2 s passes the 5 s tolerance, exp + 7 s does not (JW-13)', async () => {
    const token = await clientToken(provider, m2m, 'read');
    const exp = decodeJwt(token).exp!;
    expect((await gql('pClock', '{ hello }', { token })).status).toBe(200);
    try {
      // The API's clock moves; the verified token is cached, but never past its exp.
      await setClock('pClock', (exp + 2) * 1000 - Date.now());
      expect((await gql('pClock', '{ hello }', { token })).status).toBe(200);
      await setClock('pClock', (exp + 7) * 1000 - Date.now());
      const r = await gql('pClock', '{ hello }', { token });
      expectInvalidToken(r);
      expect(r.www).toContain('expired');
    } finally {
      await setClock('pClock', 0);
    }
  });

  it('a token without this API in aud gets 401 invalid_token (BR-02)', async () => {
    const token = await clientToken(provider, otherApi);
    expect(decodeJwt(token).aud).toBe(provider.issuer);
    expectInvalidToken(await gql('p', '{ hello }', { token }));
  });

  it('a token of another issuer gets 401 invalid_token, both ways (JW-14)', async () => {
    expectInvalidToken(await gql('p', '{ hello }', { token: await op.token() }), 'oidc-provider token at ours');
    expectInvalidToken(await gql('op', '{ hello }', { token: await clientToken(provider, m2m, 'read') }), 'our token at oidc-provider');
  });

  it('the token in the URL gets 400 invalid_request, also beside a good header (BR-05)', async () => {
    for (const search of [`?access_token=${userToken}`, '?access_token=', `?access%5Ftoken=${userToken}`]) {
      for (const token of [undefined, userToken]) {
        const r = await gql('p', '{ hello }', { search, token });
        expect(r.status, search).toBe(400);
        expect(r.www).toMatch(/^Bearer realm="[^"]+", error="invalid_request"/);
        expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
        expect(r.body.data).toBeUndefined();
      }
    }
  });

  it('a malformed Bearer header gets 400 invalid_request; another scheme counts as no token', async () => {
    for (const authorization of ['Bearer', 'Bearer ', `Bearer ${userToken} x`, `Bearer ${userToken},Bearer ${userToken}`, 'Bearer "quoted"', `Bearer\t${userToken}`]) {
      const r = await gql('p', '{ hello }', { authorization });
      expect(r.status, authorization).toBe(400);
      expect(r.www).toMatch(/error="invalid_request"/);
    }
    const basic = 'Basic dXNlcjpwYXNz';
    expect((await gql('p', '{ hello }', { authorization: basic })).status).toBe(200);
    expectAuthenticationRequired(await gql('p', '{ whoami { sub } }', { authorization: basic }), provider.issuer);
  });
});

describe('@authenticated and @requiresScopes in an SDL-first schema', () => {
  it('public fields answer anonymous callers; getAuth gives null', async () => {
    const r = await gql('p', '{ hello me { sub } }');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ hello: 'world', me: null });
  });

  it('anonymous: an @authenticated field, or a field of an @authenticated type, is UNAUTHENTICATED with a challenge naming no error', async () => {
    expectAuthenticationRequired(await gql('p', '{ whoami { sub } }'), provider.issuer);
    expectAuthenticationRequired(await gql('p', '{ hello secret { value } }'), provider.issuer);
    expectAuthenticationRequired(await gql('p', '{ reports }'), provider.issuer);
    expect((await gql('p', '{ secret { value } }', { token: userToken })).body.data).toEqual({ secret: { value: 's3cret' } });
  });

  it('@requiresScopes([["read"], ["admin","write"]]) is read, or admin and write: else 403 FORBIDDEN insufficient_scope (BR-06)', async () => {
    const cases: [string, number][] = [['', 403], ['write', 403], ['admin', 403], ['read', 200], ['admin write', 200], ['read write', 200]];
    for (const [scope, status] of cases) {
      const token = await clientToken(provider, m2m, scope);
      const r = await gql('p', '{ reports }', { token });
      expect(r.status, `scope "${scope}": ${JSON.stringify(r.body)}`).toBe(status);
      if (status === 200) {
        expect(r.body.data.reports).toEqual(['q1-revenue', 'q2-revenue']);
        continue;
      }
      expect(r.body.data).toBeUndefined();
      expect(r.www).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", error_description="[^"]*", scope="read admin write"$/);
      const ext = r.body.errors![0]!.extensions!;
      expect(ext.code).toBe('FORBIDDEN');
      // One list per alternative: read, or admin and write together.
      expect(ext.requiredScopes).toEqual([['read'], ['admin', 'write']]);
      expect(ext.http).toBeUndefined(); // Apollo strips it from the response
    }
    // A user token with read, through the authorization code flow.
    expect((await gql('p', '{ reports }', { token: userToken })).status).toBe(200);
  });

  it('requireAuth: true protects every operation, public fields included', async () => {
    expectAuthenticationRequired(await gql('pRequired', '{ hello }'), provider.issuer);
    const r = await gql('pRequired', '{ hello me { sub } }', { token: userToken });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ hello: 'world', me: { sub: user.id } });
  });

  it('an operation chosen by operationName is judged by its own fields, fragments included', async () => {
    const doc = 'query Public { hello } query Private { ...Reports } fragment Reports on Query { reports }';
    expect((await gql('p', doc, { operationName: 'Public' })).status).toBe(200);
    expectAuthenticationRequired(await gql('p', doc, { operationName: 'Private' }), provider.issuer);
    // Inline fragments and aliases hide nothing either.
    expectAuthenticationRequired(await gql('p', '{ ... on Query { r: reports } }'), provider.issuer);
  });

  // BUG (packages/apollo/src/directives.ts requirementsOf): fragment definitions are only inspected when
  // they come after the chosen operation in the document, so a client that puts the fragment
  // first (GraphQL allows any order; codegen tools often do) reads @requiresScopes and
  // @authenticated fields anonymously. Marked `fails` until fixed; see the report.
  it('a fragment written before the chosen operation does not bypass @authenticated', async () => {
    const doc = 'fragment Reports on Query { reports } query Public { hello } query Private { ...Reports }';
    const r = await gql('p', doc, { operationName: 'Private' });
    expect(r.body.data?.reports, 'protected data leaked to an anonymous caller').toBeUndefined();
    expectAuthenticationRequired(r, provider.issuer);
  });
});

describe('a code-first schema (type-graphql) with the package imported by name, in this process', () => {
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const { ApolloServer } = await import('@apollo/server');
    const { startStandaloneServer } = await import('@apollo/server/standalone');
    const { jwtOidcPlugin, getAuth, authDirectives } = await importPackage<ApolloEntry>('@jwt-oidc/apollo');

    @ObjectType()
    class Report {
      @Field(() => String)
      title!: string;
    }

    @Resolver()
    class ReportResolver {
      @Query(() => String)
      hello(): string {
        return 'world';
      }

      @Directive('@authenticated')
      @Query(() => String)
      whoami(@Ctx() ctx: object): string {
        return getAuth(ctx)!.sub;
      }

      @Directive('@requiresScopes(scopes: [["read"], ["admin", "write"]])')
      @Query(() => [Report])
      reports(): Report[] {
        return [{ title: 'Q1' }];
      }
    }

    // type-graphql keeps its decorators' metadata on a global, which this project's test files
    // share (isolate: false): the service's own @Authorized types, loaded by another file in this
    // worker, would otherwise make buildSchema demand an authChecker this schema never uses.
    const schema = await buildSchema({ resolvers: [ReportResolver], directives: [...authDirectives], authChecker: () => true });
    const server = new ApolloServer({ schema, plugins: [jwtOidcPlugin({ issuer: FORGED_ISSUER, jwksUri: jA.jwksUri, audience: API, allowInsecureRequests: true })], introspection: false });
    ({ url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async () => ({}) }));
    stop = () => server.stop();
  });
  afterAll(() => stop?.());

  const at = (query: string, token?: string) => gql('', query, { token, endpoint: url });

  it('@Directive("@authenticated") and @Directive("@requiresScopes(...)") on code-first fields', async () => {
    expect((await at('{ hello }')).body.data).toEqual({ hello: 'world' });
    expectAuthenticationRequired(await at('{ whoami }'), FORGED_ISSUER);
    expectAuthenticationRequired(await at('{ reports { title } }'), FORGED_ISSUER);
    const ok = await at('{ whoami reports { title } }', forge(keys.a, { sub: 'carol', scope: 'read' }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data).toEqual({ whoami: 'carol', reports: [{ title: 'Q1' }] });
    const forbidden = await at('{ reports { title } }', forge(keys.a, { scope: 'write' }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.www).toContain('error="insufficient_scope"');
    expect((await at('{ reports { title } }', forge(keys.a, { scope: 'write admin' }))).status).toBe(200);
    expectInvalidToken(await at('{ hello }', forge(keys.attacker, {}, { kid: keys.a.kid })));
  });

  it('options that cannot be safe are refused when the plugin is made: http issuer, none or HMAC algorithms', async () => {
    const { jwtOidcPlugin } = await importPackage<ApolloEntry>('@jwt-oidc/apollo');
    expect(() => jwtOidcPlugin({ issuer: 'http://op.example', audience: API })).toThrow(/https/);
    for (const alg of ['none', 'HS256', 'hs512']) expect(() => jwtOidcPlugin({ issuer: FORGED_ISSUER, audience: API, algorithms: ['ES256', alg] })).toThrow(TypeError);
  });

  // BUG (packages/resource/src/remote.ts constructor and loadMetadata): only the issuer's scheme is
  // checked; a jwksUri (or a discovered jwks_uri / userinfo_endpoint) over plain http is used
  // without allowInsecureRequests, so whoever sits on the path can serve keys. Marked `fails`.
  it('an http jwksUri is refused unless allowInsecureRequests', async () => {
    const { jwtOidcPlugin } = await importPackage<ApolloEntry>('@jwt-oidc/apollo');
    expect(() => jwtOidcPlugin({ issuer: FORGED_ISSUER, jwksUri: jA.jwksUri, audience: API })).toThrow(TypeError);
  });
});

describe('docs/SECURITY.md JW rows with tokens of our provider', () => {
  /** A payload the API would accept, from a real token. */
  let good: string;
  let providerJwks: JWK[];

  beforeAll(async () => {
    good = await clientToken(provider, m2m, 'read');
    expect((await gql('p', '{ hello }', { token: good })).status).toBe(200);
    providerJwks = ((await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;
  });

  it('JW-02: alg none (none, None, NONE, nOnE), with or without the old signature, is 401', async () => {
    const [h, p, s] = good.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const h2 = seg({ ...header, alg });
      expectInvalidToken(await gql('p', '{ hello }', { token: `${h2}.${p}.` }), alg);
      expectInvalidToken(await gql('p', '{ hello }', { token: `${h2}.${p}.${s}` }), `${alg} with signature`);
    }
  });

  it('JW-03: HS256 keyed with a published public key (PEM, DER, JWK JSON, raw n / x‖y) under its kid is 401', async () => {
    const payload = decodeJwt(good);
    expect(providerJwks.length).toBeGreaterThan(0);
    for (const jwk of providerJwks) {
      const pub = createPublicKey({ key: jwk as never, format: 'jwk' });
      const pem = pub.export({ type: 'spki', format: 'pem' }) as string;
      const secrets: [string, Buffer | string][] = [
        ['PEM', pem],
        ['PEM without newline', pem.trim()],
        ['DER', pub.export({ type: 'spki', format: 'der' })],
        ['JWK JSON', JSON.stringify(jwk)],
        ['raw', jwk.kty === 'RSA' ? Buffer.from(jwk.n!, 'base64url') : Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')])],
        ['raw as text', jwk.kty === 'RSA' ? jwk.n! : jwk.x!],
      ];
      for (const [what, secret] of secrets) {
        const token = jws({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, payload, secret);
        expectInvalidToken(await gql('p', '{ hello }', { token }), `${jwk.kty} ${what}`);
      }
    }
  });

  it('JW-05: a flipped payload byte under the real signature, or an attacker key reusing the real kid, is 401', async () => {
    const [h, , s] = good.split('.') as [string, string, string];
    const payload = decodeJwt(good);
    const tampered = `${h}.${seg({ ...payload, sub: 'admin', scope: 'read write admin' })}.${s}`;
    expectInvalidToken(await gql('p', '{ hello }', { token: tampered }), 'tampered');
    const kid = decodeProtectedHeader(good).kid;
    expectInvalidToken(await gql('p', '{ hello }', { token: jws({ alg: 'ES256', typ: 'at+jwt', kid }, payload, keys.attacker.privateKey) }), 'attacker key, real kid');
  });

  it('JW-06: kid injection (paths, SQL, URLs, 10 kB and 1 MB, non-strings) is rejected, with no request but to the pinned JWKS', async () => {
    const payload = decodeJwt(good);
    const before = (await outbound()).length;
    const kids: unknown[] = ['../../../../dev/null', "' OR '1'='1", "x' UNION SELECT 'k'--", 'https://evil.example/k', `${attacker.url}/k`, 'k'.repeat(10_000), 123, {}, ['a'], null];
    for (const kid of kids) {
      const token = jws({ alg: 'ES256', typ: 'at+jwt', kid }, payload, keys.attacker.privateKey);
      expectInvalidToken(await gql('p', '{ hello }', { token }), `kid ${JSON.stringify(kid).slice(0, 40)}`);
    }
    // A 1 MB header: refused before it reaches the plugin (Node's header limit), never accepted.
    const huge = jws({ alg: 'ES256', typ: 'at+jwt', kid: 'k'.repeat(1_000_000) }, payload, keys.attacker.privateKey);
    const status = await gql('p', '{ hello }', { token: huge }).then(
      (r) => r.status,
      () => 'connection closed',
    );
    expect([431, 401, 'connection closed']).toContain(status);
    const fetched = (await outbound()).slice(before);
    expect(fetched.every((u) => u === `${provider.issuer}/jwks`), fetched.join(', ')).toBe(true);
    expect(attacker.hits).toEqual([]);
  });

  it('JW-07: jku and x5u pointing at an attacker key set are ignored: 401 and zero requests to them', async () => {
    const payload = decodeJwt(good);
    const before = (await outbound()).length;
    const realKid = decodeProtectedHeader(good).kid;
    for (const member of ['jku', 'x5u']) {
      for (const kid of [keys.attacker.kid, realKid]) {
        const token = jws({ alg: 'ES256', typ: 'at+jwt', kid, [member]: `${attacker.url}/jwks.json` }, payload, keys.attacker.privateKey);
        expectInvalidToken(await gql('p', '{ hello }', { token }), `${member} kid ${kid}`);
      }
    }
    expect(attacker.hits).toEqual([]);
    expect((await outbound()).slice(before).filter((u) => u.startsWith(attacker.url))).toEqual([]);
  });

  it('JW-08: a jwk or x5c embedded in the header is never a key: 401', async () => {
    const payload = decodeJwt(good);
    const spki = keys.attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const headers = [
      { jwk: keys.attacker.jwk },
      { jwk: keys.attacker.jwk, kid: keys.attacker.kid },
      { x5c: [spki] },
      { x5c: [spki], kid: decodeProtectedHeader(good).kid },
    ];
    for (const extra of headers) {
      const token = jws({ alg: 'ES256', typ: 'at+jwt', ...extra }, payload, keys.attacker.privateKey);
      expectInvalidToken(await gql('p', '{ hello }', { token }), Object.keys(extra).join('+'));
    }
  });
});

describe('docs/SECURITY.md JW rows with keys we hold (a JWKS server of ours, FORGED_ISSUER)', () => {
  it('controls: a well-formed token is accepted, typ at+jwt in any case, application/ prefix too (BR-03)', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt']) {
      const r = await gql('a', '{ whoami { sub } }', { token: forge(keys.a, {}, { typ }) });
      expect(r.status, typ).toBe(200);
      expect(r.body.data.whoami.sub).toBe('alice');
    }
    expect((await gql('a', '{ hello }', { token: forge(keys.aRsa) })).status).toBe(200);
  });

  it('BR-03: typ JWT, no typ, or typ of an ID token is 401', async () => {
    for (const typ of ['JWT', undefined, 'application/jwt', 'at+jwe']) {
      expectInvalidToken(await gql('a', '{ hello }', { token: forge(keys.a, {}, { typ }) }), String(typ));
    }
  });

  it('JW-04: a valid key used with another algorithm than the one it is published for (PS256 on an RS256 key) is 401', async () => {
    const token = jws({ alg: 'PS256', typ: 'at+jwt', kid: keys.aRsa.kid }, claims(), keys.aRsa.privateKey);
    expectInvalidToken(await gql('a', '{ hello }', { token }));
  });

  it('JW-09: crit with unknown, registered or no members, and b64:false, is 401', async () => {
    const headers: Record<string, unknown>[] = [
      { crit: ['urn:x:unknown'], 'urn:x:unknown': 1 },
      { crit: ['exp'] },
      { crit: [] },
      { b64: false, crit: ['b64'] },
    ];
    for (const extra of headers) expectInvalidToken(await gql('a', '{ hello }', { token: forge(keys.a, {}, extra) }), JSON.stringify(extra));
  });

  it('JW-11: malformed encodings (DER or wrong-length signatures, padding, +/, 4 segments, spaces, empty segments) are rejected, never a 500', async () => {
    const good = forge(keys.a);
    const [h, p, s] = good.split('.') as [string, string, string];
    const input = `${h}.${p}`;
    const sig = Buffer.from(s, 'base64url');
    // A token with "-" or "_" so that its standard-base64 spelling differs.
    let urlSafe = good;
    while (!/[-_]/.test(urlSafe)) urlSafe = forge(keys.a);
    const hmac16 = (() => {
      const hs = `${seg({ alg: 'HS256', typ: 'at+jwt', kid: keys.a.kid })}.${p}`;
      return `${hs}.${createHmac('sha256', 'k').update(hs).digest().subarray(0, 16).toString('base64url')}`;
    })();
    const cases: [string, string][] = [
      ['DER-encoded ES256 signature', `${input}.${signature('ES256-DER', input, keys.a.privateKey).toString('base64url')}`],
      ['63-byte signature', `${input}.${sig.subarray(0, 63).toString('base64url')}`],
      ['65-byte signature', `${input}.${Buffer.concat([sig, Buffer.from([0])]).toString('base64url')}`],
      ['16-byte HS256 MAC', hmac16],
      ['= padding', `${good}=`],
      ['padded header', `${h}=.${p}.${s}`],
      ['+ and /', urlSafe.replace(/-/g, '+').replace(/_/g, '/')],
      ['4 segments', `${good}.${s}`],
      ['space inside', `${h}.${p} .${s}`],
      ['empty signature', `${input}.`],
      ['empty payload', `${h}..${s}`],
      ['empty header', `.${p}.${s}`],
      ['only dots', '..'],
    ];
    for (const [what, token] of cases) {
      const r = await gql('a', '{ hello }', { token });
      expect([400, 401], `${what}: ${r.status}`).toContain(r.status);
      expect(r.www, what).toMatch(r.status === 400 ? /error="invalid_request"/ : /error="invalid_token"/);
      expect(r.body.data, what).toBeUndefined();
    }
  });

  it('JW-13: exp past the tolerance, missing or not a number; nbf or iat in the future; no iat: 401', async () => {
    const t = nowS();
    const cases: Record<string, unknown>[] = [
      { exp: t - 6 },
      { exp: undefined },
      { nbf: t + 3600 },
      { iat: t + 3600 },
      { iat: undefined },
      { exp: '9999999999' },
      { exp: -1 },
      { exp: null },
      { exp: true },
    ];
    for (const over of cases) expectInvalidToken(await gql('a', '{ hello }', { token: forge(keys.a, over) }), JSON.stringify(over));
  });

  // BUG (packages/resource/src/verifier.ts): jose accepts any finite number as exp, and the remote
  // verifier sets no maximum lifetime, so exp = 1e308 lives forever (and sits in the LRU with an
  // expiry of Infinity). docs/SECURITY.md JW-13 says reject. Marked `fails` until fixed.
  it('JW-13: exp = 1e308 is 401', async () => {
    expectInvalidToken(await gql('a', '{ hello }', { token: forge(keys.a, { exp: 1e308 }) }));
  });

  it('JW-14: issuer spelled otherwise (trailing slash, case, http, array) or missing is 401', async () => {
    for (const iss of [`${FORGED_ISSUER}/`, FORGED_ISSUER.toUpperCase().replace('HTTPS', 'https'), FORGED_ISSUER.replace('https:', 'http:'), [FORGED_ISSUER], undefined]) {
      expectInvalidToken(await gql('a', '{ hello }', { token: forge(keys.a, { iss }) }), JSON.stringify(iss));
    }
  });

  it('JW-15: payload null, [], "str", 123; header []; invalid UTF-8, a BOM, UTF-16 — all properly signed — are 401', async () => {
    const header = { alg: 'ES256', typ: 'at+jwt', kid: keys.a.kid };
    const json = JSON.stringify(claims({ sub: 'PLACEHOLDER' }));
    const [before, after] = json.split('PLACEHOLDER') as [string, string];
    const payloads: [string, Buffer][] = [
      ['null', Buffer.from('null')],
      ['[]', Buffer.from('[]')],
      ['"str"', Buffer.from('"str"')],
      ['123', Buffer.from('123')],
      ['invalid UTF-8', Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after)])],
      ['BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])],
      ['UTF-16LE', Buffer.from(json, 'utf16le')],
      ['UTF-16 with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])],
    ];
    for (const [what, payload] of payloads) expectInvalidToken(await gql('a', '{ hello }', { token: jws(header, payload, keys.a.privateKey) }), what);
    expectInvalidToken(await gql('a', '{ hello }', { token: jws(Buffer.from('[]'), claims(), keys.a.privateKey, 'ES256') }), 'header []');
    expectInvalidToken(await gql('a', '{ hello }', { token: jws(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(header))]), claims(), keys.a.privateKey, 'ES256') }), 'header BOM');
  });

  it('JW-16: a JWE made with the public key (plain claims, or a signed JWT inside) is 401', async () => {
    const plain = await new CompactEncrypt(Buffer.from(JSON.stringify(claims()))).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: keys.aRsa.kid, typ: 'at+jwt' }).encrypt(keys.aRsa.publicKey);
    const nested = await new CompactEncrypt(Buffer.from(forge(keys.a))).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' }).encrypt(keys.aRsa.publicKey);
    for (const token of [plain, nested]) {
      expect(token.split('.')).toHaveLength(5);
      expectInvalidToken(await gql('a', '{ hello }', { token }));
    }
  });

  it('JW-22: no kid with a single key of the type: accepted; with two candidate keys: rejected', async () => {
    expect((await gql('a', '{ hello }', { token: forge(keys.a, {}, { kid: undefined }) })).status).toBe(200);
    // Two ES256 keys and no kid: the plugin does not guess (the row allows reject or a real match).
    expectInvalidToken(await gql('b', '{ hello }', { token: forge(keys.b1, {}, { kid: undefined }) }), 'two candidates');
    expectInvalidToken(await gql('b', '{ hello }', { token: forge(keys.attacker, {}, { kid: undefined }) }), 'attacker, no kid');
    expect((await gql('b', '{ hello }', { token: forge(keys.b2) })).status).toBe(200);
  });
});

describe('the JWKS cache (a key set we serve and count)', () => {
  it('JW-21: a burst of 200 tokens with random kids: all 401, at most one JWKS refetch per cooldown (3 s)', async () => {
    expect((await gql('c', '{ hello }', { token: forge(keys.c1) })).status).toBe(200);
    expect(jC.gets).toBe(1);
    await sleep(3200); // the cooldown passes: the next unknown kid may refetch, once
    const burst = Array.from({ length: 200 }, () => forge(keys.c1, {}, { kid: randomUUID() }));
    const before = jC.gets;
    const started = Date.now();
    const replies = await Promise.all(burst.map((token) => gql('c', '{ hello }', { token })));
    const elapsed = Date.now() - started;
    for (const r of replies) expectInvalidToken(r);
    const refetches = jC.gets - before;
    expect(refetches).toBeGreaterThanOrEqual(1);
    // One window normally; a machine slow enough to stretch the burst over several windows may
    // refetch once per window, never per token.
    expect(refetches).toBeLessThanOrEqual(1 + Math.floor(elapsed / 3000));
  });

  it('JW-20: after rotation at the issuer, a token of the new key verifies once the cooldown passed (no restart); the removed key is refused', async () => {
    const oldKeyToken = forge(keys.c1); // made before the rotation, presented only after it
    jC.keys = [keys.c2.jwk]; // c2 added, c1 removed
    await sleep(3200);
    const before = jC.gets;
    const r = await gql('c', '{ whoami { sub } }', { token: forge(keys.c2, { sub: 'rotated' }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data.whoami.sub).toBe('rotated');
    expect(jC.gets).toBe(before + 1);
    expectInvalidToken(await gql('c', '{ hello }', { token: oldKeyToken }), 'removed key');
    expectInvalidToken(await gql('c', '{ hello }', { token: forge(keys.c1) }), 'removed key, new token');
  });
});

describe('the LRU of verified tokens', () => {
  it('a verified token is served from the LRU: it still passes after its key left the key set, a fresh token of that key does not', async () => {
    const cached = forge(keys.d1, { exp: nowS() + 120 });
    expect((await gql('d', '{ hello }', { token: cached })).status).toBe(200);
    expect(jD.gets).toBe(1);
    // The issuer drops d1 for d2; once the cooldown passed, a d2 token makes the API refetch.
    jD.keys = [keys.d2.jwk];
    await sleep(1200);
    expect((await gql('d', '{ hello }', { token: forge(keys.d2) })).status).toBe(200);
    expect(jD.gets).toBe(2);
    // The API no longer knows d1: only a cached verification can accept this token.
    const gets = jD.gets;
    const again = await gql('d', '{ whoami { sub } }', { token: cached });
    expect(again.status).toBe(200);
    expect(jD.gets).toBe(gets);
    expectInvalidToken(await gql('d', '{ hello }', { token: forge(keys.d1) }), 'fresh token of the removed key');
  });

  it('a cached verification never outlives exp (the API clock moved past it)', async () => {
    const token = forge(keys.d2, { exp: nowS() + 30 });
    expect((await gql('d', '{ hello }', { token })).status).toBe(200);
    try {
      await setClock('d', 20_000);
      expect((await gql('d', '{ hello }', { token })).status).toBe(200);
      await setClock('d', 40_000);
      const r = await gql('d', '{ hello }', { token });
      expectInvalidToken(r);
      expect(r.www).toContain('expired');
    } finally {
      await setClock('d', 0);
    }
  });
});

describe('an issuer that cannot be reached', () => {
  it('JWKS gone before first use: 503 with Retry-After, never 401; public fields still answer anonymous callers; recovers without restart', async () => {
    const token = forge(keys.e);
    const r = await gql('down', '{ hello }', { token });
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(r.www).toBeNull();
    expect(r.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(r.body.data).toBeUndefined();
    expect((await gql('down', '{ hello }')).status).toBe(200);

    const restReply = await rest('restDown', { token });
    expect(restReply.status).toBe(503);
    expect(restReply.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(restReply.body.error).toBe('temporarily_unavailable');

    // The issuer comes back: a failure is not remembered.
    await jE.reopen();
    expect((await gql('down', '{ hello }', { token })).status).toBe(200);
    expect((await rest('restDown', { token })).status).toBe(200);
  });

  it('discovery unreachable: 503 with Retry-After', async () => {
    const r = await gql('noDiscovery', '{ hello }', { token: forge(keys.e) });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    // A garbage token is judged before any request: 401, even with the issuer down.
    expectInvalidToken(await gql('noDiscovery', '{ hello }', { token: 'not-a-jwt' }));
  });
});

describe('against oidc-provider 9 (RFC 9068 JWT access tokens by resource indicator)', () => {
  it('a client_credentials token for resource https://api.example is accepted, with its scope', async () => {
    const token = await op.token('read');
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ iss: op.issuer, aud: OP_RESOURCE, client_id: 'm2m', scope: 'read' });
    const r = await gql('op', '{ whoami { sub clientId scopes } reports }', { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data).toEqual({ whoami: { sub: 'm2m', clientId: 'm2m', scopes: ['read'] }, reports: ['q1-revenue', 'q2-revenue'] });
    // And a tampered one is not.
    const [h, , s] = token.split('.');
    expectInvalidToken(await gql('op', '{ hello }', { token: `${h}.${seg({ ...decodeJwt(token), client_id: 'other' })}.${s}` }));
  });
});

describe('bearerAuth from @jwt-oidc/express on an Express 5 app', () => {
  it('valid: 200 with req.auth', async () => {
    const r = await rest('rest', { token: userToken });
    expect(r.status).toBe(200);
    expect(r.body.auth).toMatchObject({ sub: user.id, clientId: rp.clientId });
    expect(r.body.auth.scopes).toContain('read');
    expect(r.body.auth.aud).toContain(API);
  });

  it('no token: 401 with a challenge that names no error, and a body that claims no RFC 6750 code either (unauthenticated, as the Apollo plugin says)', async () => {
    const r = await rest('rest');
    expect(r.status).toBe(401);
    expect(r.www).toBe(`Bearer realm="${provider.issuer}"`);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toEqual({ error: 'unauthenticated', error_description: 'an access token is required' });
    const apollo = await gql('p', '{ whoami { sub } }');
    expect(apollo.www).toBe(r.www);
    expect(apollo.body.errors?.[0]?.extensions?.code).toBe(r.body.error.toUpperCase());
  });

  it('a bad token: 401 invalid_token; the token in the URL: 400 invalid_request', async () => {
    const [h, , s] = userToken.split('.');
    for (const token of ['a.b.c', `${h}.${seg({ ...decodeJwt(userToken), sub: 'admin' })}.${s}`, forge(keys.attacker)]) {
      const r = await rest('rest', { token });
      expect(r.status).toBe(401);
      expect(r.www).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
      expect(r.body.error).toBe('invalid_token');
    }
    const url = await rest('rest', { search: `?access_token=${userToken}` });
    expect(url.status).toBe(400);
    expect(url.www).toMatch(/error="invalid_request"/);
  });

  it('missing scope: 403 insufficient_scope naming the scope', async () => {
    const r = await rest('restRead', { token: await clientToken(provider, m2m, 'write') });
    expect(r.status).toBe(403);
    expect(r.www).toMatch(/error="insufficient_scope"/);
    expect(r.www).toContain('scope="read"');
    expect((await rest('restRead', { token: userToken })).status).toBe(200);
  });

  it('optional: anonymous callers pass with req.auth === null; a bad token is still 401', async () => {
    const anon = await rest('restOptional');
    expect(anon.status).toBe(200);
    expect(anon.body).toEqual({ auth: null });
    expect((await rest('restOptional', { token: userToken })).body.auth.sub).toBe(user.id);
    expect((await rest('restOptional', { token: forge(keys.attacker) })).status).toBe(401);
  });
});

// Last: rotating changes the provider's signing key for everything after it.
describe('key rotation at our provider', () => {
  it('JW-20: a token signed by the rotated-in key verifies without restarting the API; tokens of the old key still do', async () => {
    const primed = await clientToken(provider, m2m, 'read');
    const oldKid = decodeProtectedHeader(primed).kid;
    expect((await gql('pRotation', '{ hello }', { token: primed })).status).toBe(200);
    const unseenOld = await clientToken(provider, m2m, 'read'); // old key, not yet presented

    await provider.keys!.rotate({ now: true });
    const fresh = await clientToken(provider, m2m, 'read');
    expect(decodeProtectedHeader(fresh).kid).not.toBe(oldKid);
    await sleep(1200); // the API's JWKS cooldown (1 s) passes
    const jwksFetches = async () => (await outbound()).filter((u) => u === `${provider.issuer}/jwks`).length;
    const before = await jwksFetches();
    const r = await gql('pRotation', '{ whoami { sub } }', { token: fresh });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data.whoami.sub).toBe(m2m.clientId);
    expect(await jwksFetches()).toBe(before + 1);
    // The retired key stays published until its tokens expired.
    expect((await gql('pRotation', '{ hello }', { token: unseenOld })).status).toBe(200);
  });
});
