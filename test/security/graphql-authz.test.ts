/**
 * docs/SECURITY.md sections G and H at the GraphQL API, over real HTTP against a real provider:
 * who may call what (GQ-12…GQ-15, an authorization matrix over every admin operation), errors
 * and injection (GQ-16, GQ-17), the rate limit (GQ-18), GET mutations and CORS (GQ-10, GQ-11),
 * bearer validation (BR-01…BR-06) and the JWT attack rows (JW-02…JW-19) against `/graphql`.
 * GQ-01…GQ-09 live in test/integration/graphql-hardening.test.ts.
 */
import { constants, createPublicKey, randomUUID, sign as nodeSign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientService } from '../../src/clients/client-service.js';
import { signCompact, type JwsHeader } from '../../src/keys/jws.js';
import { UserService } from '../../src/users/user-service.js';
import { adminUserTokens, clientToken, expectNothingPersisted, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };
type Tokens = Awaited<ReturnType<typeof tokensFor>>;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: any; errors?: any[] };
}

let p: TestProvider;
let admin: Awaited<ReturnType<typeof adminUserTokens>>;
/** The admin scope of an admin client (client_credentials). */
let adminClientToken: string;
/** The target of every attack: a user with a grant and a session at their own client. */
let victim: User;
let victimClient: Client;
let victimTokens: Tokens;
let victimGrantId: string;
let victimSessionId: string;
/** A normal user at a first-party app, with profile (who asked for admin too, and did not get it). */
let normal: User;
let normalTokens: Tokens;
let app: Client;

const CALLER_NAMES = [
  'a normal user (asked for admin, did not get it)',
  'an admin user without the admin scope',
  'a client_credentials token of a non-admin client',
  'a user who lost the admin flag after the token was issued',
  'an admin client that lost the admin flag after the token was issued',
  'an admin user through a third-party app (admin not grantable)',
] as const;
type CallerName = (typeof CALLER_NAMES)[number];
const callers = {} as Record<CallerName, string>;

const SQL_OR_STACK = /stacktrace|exception|node_modules|\bat \S+ \(|\bselect\b.*\bfrom\b|insert into|update \S+ set|delete from|duplicate key|violates|constraint|relation "|syntax error|postgres|mikro|knex|\bpg\b|uuid.*invalid input/i;

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Answer['body'] = {};
  try {
    body = text ? (JSON.parse(text) as Answer['body']) : {};
  } catch {
    // not JSON: assertions on the members fail
  }
  return { status: res.status, headers: res.headers, text, body };
}

function post(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}, path = '/graphql', server: Pick<TestProvider, 'url'> = p): Promise<Answer> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  }).then(answer);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
function call(query: string, variables?: Record<string, unknown>, token?: string): Promise<Answer> {
  return post(query, variables, token ? bearer(token) : {});
}

const ME = '{ me { sub clientId scopes user { id username } } }';

/** No stack, SQL, driver or ORM text in an answer (GQ-16). */
function expectClean(a: Answer, what = ''): void {
  expect(a.text, `${what}: ${a.text}`).not.toMatch(SQL_OR_STACK);
  for (const e of a.body.errors ?? []) {
    expect(Object.keys(e.extensions ?? {}), `${what}: extensions`).not.toContain('stacktrace');
    expect(Object.keys(e.extensions ?? {}), `${what}: extensions`).not.toContain('exception');
  }
}

/** A GraphQL-level refusal of `field`: the code on every error, the field null, nothing about the victim. */
function expectRefused(a: Answer, field: string, code: 'UNAUTHENTICATED' | 'FORBIDDEN', what: string): void {
  expect([200, code === 'UNAUTHENTICATED' ? 401 : 403], `${what}: HTTP ${a.status} ${a.text}`).toContain(a.status);
  expect(a.body.errors?.length, `${what}: ${a.text}`).toBeGreaterThan(0);
  expect(a.body.errors![0].extensions?.code, `${what}: ${a.text}`).toBe(code);
  for (const e of a.body.errors!) expect(e.extensions?.code, `${what}: ${a.text}`).toBe(code);
  expect(a.body.errors![0].path, what).toEqual([field]);
  expect(a.body.data?.[field] ?? null, `${what}: ${a.text}`).toBeNull();
  expect(a.text, what).not.toContain(victim.username);
  expect(a.text, what).not.toContain(`${victim.username}@example.com`);
  expect(a.text, what).not.toContain(victimSessionId);
  expectClean(a, what);
}

/** RFC 6750 §3.1 at the GraphQL edge: HTTP 401, a Bearer challenge naming invalid_token, nothing executed. */
function expectInvalidToken(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.status} ${a.text}`).toBe(401);
  const challenge = a.headers.get('www-authenticate') ?? '';
  expect(challenge, what).toMatch(/^Bearer /);
  expect(challenge, what).toContain(`realm="${p.issuer}"`);
  expect(challenge, what).toContain('error="invalid_token"');
  expect(a.body.errors?.[0]?.extensions?.code, `${what}: ${a.text}`).toBe('UNAUTHENTICATED');
  expect(a.body.data ?? null, what).toBeNull();
  expect(a.text, what).not.toContain(normal.username);
  expectClean(a, what);
}

function expectValidationError(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.text}`).toBe(400);
  expect(a.body.errors?.[0]?.extensions?.code, `${what}: ${a.text}`).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(a.body.data, `${what}: nothing may execute`).toBeUndefined();
  expectClean(a, what);
}

function expectCoercionError(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.text}`).toBe(400);
  expect(a.body.errors?.[0]?.extensions?.code, `${what}: ${a.text}`).toBe('BAD_USER_INPUT');
  expect(a.body.data, `${what}: nothing may execute`).toBeUndefined();
  expectClean(a, what);
}

const forbiddenLogs = () => p.logs.filter((l) => l.event === 'admin.forbidden').length;

// ---------------------------------------------------------------------------------------------
// JOSE helpers

const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

interface LoadedKey {
  kid: string;
  alg: JwsHeader['alg'];
  family: string;
  signingKey?: KeyObject;
}

/** The provider's signing keys (the private half is needed to mint tokens with odd headers). */
function providerKeys(): LoadedKey[] {
  return (p.provider!.keys as unknown as { keys: LoadedKey[] }).keys.filter((k) => k.signingKey);
}

/** The key that signed the normal user's access token. */
function atKey(): LoadedKey {
  const { kid } = decodeProtectedHeader(normalTokens.access_token);
  const key = providerKeys().find((k) => k.kid === kid);
  if (!key) throw new Error('the signing key of the access token is not loaded');
  return key;
}

/** Claims of a valid access token of the normal user (a live grant): a base to vary. */
function atClaims(extra: Record<string, unknown> = {}): JWTPayload {
  return { ...decodeJwt(normalTokens.access_token), jti: randomUUID(), ...extra };
}

/** A JWS with the provider's real key and whatever header and payload (even non-objects). */
function realSign(header: Record<string, unknown>, payload: unknown, key = atKey()): string {
  return signCompact({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header } as JwsHeader, payload as object, key.signingKey!);
}

async function publishedJwks(): Promise<JWK[]> {
  return ((await (await fetch(`${p.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  p = await startProvider({}, { captureLogs: true });
  admin = await adminUserTokens(p);
  expect(admin.tokens.scope.split(' ')).toContain('admin');
  const automation = await p.createClient({ name: 'Automation', admin: true, grantTypes: ['client_credentials'] });
  adminClientToken = await clientToken(p, automation, 'admin');

  victim = await p.createUser({ givenName: 'Victim', familyName: 'Person', emailVerified: true });
  victimClient = await p.createClient({ name: 'Victim RP' });
  victimTokens = await tokensFor(p, victimClient, victim);
  victimGrantId = decodeJwt(victimTokens.access_token).grant_id as string;
  expect(victimGrantId).toMatch(/^[0-9a-f-]{36}$/);
  const sessions = await call('query($u: ID!) { sessions(userId: $u) { id } }', { u: victim.id }, admin.tokens.access_token);
  expect(sessions.body.data?.sessions?.length, sessions.text).toBeGreaterThan(0);
  victimSessionId = sessions.body.data.sessions[0].id;

  // (b) a normal user, who asked for admin through a first-party app.
  app = await p.createClient({ name: 'First-party app', firstParty: true });
  normal = await p.createUser({ givenName: 'Norma', familyName: 'Normal' });
  normalTokens = await tokensFor(p, app, normal, 'openid profile email admin');
  expect(normalTokens.scope.split(' ')).not.toContain('admin');
  callers['a normal user (asked for admin, did not get it)'] = normalTokens.access_token;

  // (c) an administrator whose token lacks the admin scope.
  const noScope = await tokensFor(p, admin.client, admin.user, 'openid profile');
  expect(noScope.scope.split(' ')).not.toContain('admin');
  callers['an admin user without the admin scope'] = noScope.access_token;

  // (d) a client_credentials token of a client without the admin flag.
  const service = await p.createClient({ name: 'Plain service', grantTypes: ['client_credentials'] });
  callers['a client_credentials token of a non-admin client'] = await clientToken(p, service);

  // (e) a user demoted after the token was issued: the token worked as admin before.
  const demoted = await p.createUser({ admin: true });
  const demotedTokens = await tokensFor(p, admin.client, demoted, 'openid profile admin');
  expect(demotedTokens.scope.split(' ')).toContain('admin');
  const before = await call('{ keyRotationStatus { family } }', undefined, demotedTokens.access_token);
  expect(before.body.errors, `the demoted admin was an admin before: ${before.text}`).toBeUndefined();
  await new UserService(p.db.orm.em).update({ id: demoted.id }, { admin: false });
  callers['a user who lost the admin flag after the token was issued'] = demotedTokens.access_token;

  // (f) an admin client demoted after its token was issued.
  const formerAdminClient = await p.createClient({ name: 'Former automation', admin: true, grantTypes: ['client_credentials'] });
  const formerToken = await clientToken(p, formerAdminClient, 'admin');
  const beforeClient = await call('{ keyRotationStatus { family } }', undefined, formerToken);
  expect(beforeClient.body.errors, `the demoted client was an admin before: ${beforeClient.text}`).toBeUndefined();
  await new ClientService(p.db.orm.em, () => p.provider!.clients.changed()).update(formerAdminClient.clientId, { admin: false });
  callers['an admin client that lost the admin flag after the token was issued'] = formerToken;

  // (g) an administrator asks a third-party (neither first-party nor admin) app for admin.
  const thirdParty = await p.createClient({ name: 'Third-party app' });
  const viaThirdParty = await tokensFor(p, thirdParty, admin.user, 'openid profile admin');
  expect(viaThirdParty.scope.split(' ')).not.toContain('admin');
  callers['an admin user through a third-party app (admin not grantable)'] = viaThirdParty.access_token;
});
afterAll(() => p?.close());

// ---------------------------------------------------------------------------------------------
// GQ-12 / GQ-13: the authorization matrix

interface Op {
  field: string;
  kind: 'query' | 'mutation';
  query: string;
  variables?: () => Record<string, unknown>;
}

const OPS: Op[] = [
  { field: 'users', kind: 'query', query: 'query { users(first: 100) { edges { node { id username email admin } } pageInfo { hasNextPage } } }' },
  { field: 'user', kind: 'query', query: 'query($id: ID!) { user(id: $id) { id username email admin hasPassword } }', variables: () => ({ id: victim.id }) },
  { field: 'clients', kind: 'query', query: 'query { clients(first: 100) { edges { node { id name redirectUris admin } } } }' },
  { field: 'client', kind: 'query', query: 'query($id: ID!) { client(id: $id) { id name redirectUris allowedOrigins } }', variables: () => ({ id: victimClient.clientId }) },
  { field: 'grants', kind: 'query', query: 'query($u: ID) { grants(userId: $u) { id userId clientId scopes active } }', variables: () => ({ u: victim.id }) },
  { field: 'sessions', kind: 'query', query: 'query($u: ID!) { sessions(userId: $u) { id userId amr } }', variables: () => ({ u: victim.id }) },
  { field: 'keyRotationStatus', kind: 'query', query: 'query { keyRotationStatus { family activeKid keys { kid state } } }' },
  {
    field: 'createUser',
    kind: 'mutation',
    query: 'mutation($i: CreateUserInput!) { createUser(input: $i) { id admin } }',
    variables: () => ({ i: { username: 'mallory', password: 'mallory password 123', admin: true, email: 'mallory@evil.example' } }),
  },
  {
    field: 'updateUser',
    kind: 'mutation',
    query: 'mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id admin email } }',
    variables: () => ({ id: victim.id, i: { admin: true, email: 'pwned@evil.example', emailVerified: true } }),
  },
  { field: 'deleteUser', kind: 'mutation', query: 'mutation($id: ID!) { deleteUser(id: $id) }', variables: () => ({ id: victim.id }) },
  { field: 'inviteUser', kind: 'mutation', query: 'mutation($e: String!) { inviteUser(email: $e, admin: true) { email admin expiresAt } }', variables: () => ({ e: 'mallory@evil.example' }) },
  {
    field: 'setUserPassword',
    kind: 'mutation',
    query: 'mutation($id: ID!, $pw: String) { setUserPassword(id: $id, password: $pw) { id hasPassword } }',
    variables: () => ({ id: victim.id, pw: 'attacker chosen password' }),
  },
  {
    field: 'createClient',
    kind: 'mutation',
    query: 'mutation($i: CreateClientInput!) { createClient(input: $i) { clientSecret client { id admin } } }',
    variables: () => ({ i: { id: 'evil-admin-client', name: 'Evil', redirectUris: ['https://evil.example/cb'], admin: true, grantTypes: ['client_credentials'] } }),
  },
  {
    field: 'updateClient',
    kind: 'mutation',
    query: 'mutation($id: ID!, $i: ClientMetadataInput!) { updateClient(id: $id, input: $i) { id redirectUris } }',
    variables: () => ({ id: victimClient.clientId, i: { redirectUris: ['https://evil.example/cb'], allowedOrigins: ['https://evil.example'], admin: true } }),
  },
  { field: 'deleteClient', kind: 'mutation', query: 'mutation($id: ID!) { deleteClient(id: $id) }', variables: () => ({ id: victimClient.clientId }) },
  { field: 'rotateClientSecret', kind: 'mutation', query: 'mutation($id: ID!) { rotateClientSecret(id: $id) { clientSecret client { id } } }', variables: () => ({ id: victimClient.clientId }) },
  { field: 'revokeGrant', kind: 'mutation', query: 'mutation($id: ID!) { revokeGrant(id: $id) { id active } }', variables: () => ({ id: victimGrantId }) },
  { field: 'revokeSession', kind: 'mutation', query: 'mutation($id: ID!) { revokeSession(id: $id) }', variables: () => ({ id: victimSessionId }) },
  { field: 'rotateKeys', kind: 'mutation', query: 'mutation { rotateKeys(now: true) { family activeKid } }' },
];

describe('authorization matrix (GQ-12, GQ-13)', () => {
  it('the matrix covers every admin query and mutation of the schema', () => {
    expect(OPS.map((o) => o.field).sort()).toEqual(
      ['users', 'user', 'clients', 'client', 'grants', 'sessions', 'keyRotationStatus', 'createUser', 'updateUser', 'deleteUser', 'inviteUser', 'setUserPassword', 'createClient', 'updateClient', 'deleteClient', 'rotateClientSecret', 'revokeGrant', 'revokeSession', 'rotateKeys'].sort(),
    );
  });

  for (const op of OPS) {
    describe(`${op.kind} ${op.field}`, () => {
      it(`GQ-12 ${op.field} with no token: UNAUTHENTICATED, ${op.field} null, ∅DB`, async () => {
        await expectNothingPersisted(p, async () => {
          expectRefused(await call(op.query, op.variables?.()), op.field, 'UNAUTHENTICATED', `${op.field} without a token`);
        });
      });

      for (const caller of CALLER_NAMES) {
        it(`GQ-13 ${op.field} by ${caller}: FORBIDDEN, ${op.field} null, logged, ∅DB`, async () => {
          const logged = forbiddenLogs();
          await expectNothingPersisted(p, async () => {
            expectRefused(await call(op.query, op.variables?.(), callers[caller]), op.field, 'FORBIDDEN', `${op.field} by ${caller}`);
          });
          expect(forbiddenLogs(), 'the refused attempt is logged (admin.forbidden)').toBeGreaterThan(logged);
        });
      }
    });
  }

  it('after the matrix the victim is untouched: their token, grant, session and client still work', async () => {
    const me = await call(ME, undefined, victimTokens.access_token);
    expect(me.body.data?.me?.sub, me.text).toBe(victim.id);
    const sessions = await call('query($u: ID!) { sessions(userId: $u) { id } }', { u: victim.id }, admin.tokens.access_token);
    expect(sessions.body.data.sessions.map((s: { id: string }) => s.id)).toContain(victimSessionId);
    const user = await call('query($id: ID!) { user(id: $id) { admin email hasPassword } }', { id: victim.id }, admin.tokens.access_token);
    expect(user.body.data.user).toEqual({ admin: false, email: `${victim.username}@example.com`, hasPassword: true });
    const refresh = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: victimTokens.refresh_token! }, victimClient);
    expect(refresh.status, 'the victim client secret and grant still work').toBe(200);
    victimTokens = { ...victimTokens, ...((await refresh.json()) as Tokens) };
  });

  describe('control: administrators succeed', () => {
    const queries = OPS.filter((o) => o.kind === 'query');
    for (const op of queries) {
      it(`control: ${op.field} by an admin user (admin scope) and an admin client`, async () => {
        for (const [who, token] of [
          ['admin user', () => admin.tokens.access_token],
          ['admin client', () => adminClientToken],
        ] as const) {
          const res = await call(op.query, op.variables?.(), token());
          expect(res.status, `${who}: ${res.text}`).toBe(200);
          expect(res.body.errors, `${who}: ${res.text}`).toBeUndefined();
          expect(res.body.data?.[op.field], `${who}: ${res.text}`).not.toBeNull();
        }
      });
    }

    it('control: the admin data really is there for an admin (victim, grant, session)', async () => {
      const t = admin.tokens.access_token;
      expect((await call(OPS[1]!.query, OPS[1]!.variables!(), t)).body.data.user).toMatchObject({ id: victim.id, username: victim.username, admin: false });
      expect((await call(OPS[4]!.query, OPS[4]!.variables!(), t)).body.data.grants.map((g: { id: string }) => g.id)).toContain(victimGrantId);
      expect((await call(OPS[5]!.query, OPS[5]!.variables!(), t)).body.data.sessions.map((s: { id: string }) => s.id)).toContain(victimSessionId);
      expect((await call(OPS[3]!.query, OPS[3]!.variables!(), t)).body.data.client).toMatchObject({ id: victimClient.clientId });
    });

    it('control: updateUser with a no-op change succeeds for an admin', async () => {
      const res = await call('mutation($id: ID!) { updateUser(id: $id, input: { givenName: "Victim" }) { id givenName admin } }', { id: victim.id }, admin.tokens.access_token);
      expect(res.body.errors, res.text).toBeUndefined();
      expect(res.body.data.updateUser).toEqual({ id: victim.id, givenName: 'Victim', admin: false });
    });

    it('control: a client without the admin flag asking client_credentials for admin gets invalid_scope', async () => {
      const service = await p.createClient({ name: 'Another plain service', grantTypes: ['client_credentials'] });
      await expectNothingPersisted(p, async () => {
        const res = await tokenRequest(p, { grant_type: 'client_credentials', scope: 'admin' }, service);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toBe('invalid_scope');
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('GQ-10 a mutation over GET', () => {
  it('GQ-10 GET with apollo-require-preflight and an admin token: 405 with Allow: POST, not executed, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const mutation of ['mutation { createUser(input: { username: "via-get", admin: true }) { id } }', 'mutation { rotateKeys(now: true) { family } }']) {
        const url = `${p.url}/graphql?query=${encodeURIComponent(mutation)}`;
        const res = await answer(await fetch(url, { headers: { 'apollo-require-preflight': '1', ...bearer(admin.tokens.access_token) } }));
        expect(res.status, res.text).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect(res.body.data).toBeUndefined();
        expectClean(res);
      }
      // The same with a named operation and the other CSRF header.
      const named = `${p.url}/graphql?query=${encodeURIComponent('mutation M { deleteUser(id: "x") }')}&operationName=M`;
      const res = await fetch(named, { headers: { 'x-apollo-operation-name': 'M', ...bearer(admin.tokens.access_token) } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });
  });

  it('control: a query over GET with apollo-require-preflight is answered', async () => {
    const res = await answer(await fetch(`${p.url}/graphql?query=${encodeURIComponent('{ serverInfo { mode } }')}`, { headers: { 'apollo-require-preflight': '1' } }));
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toEqual({ serverInfo: { mode: 'provider' } });
  });
});

describe('GQ-11 CORS at /graphql', () => {
  const ALLOWED = 'https://app.example';
  beforeAll(async () => {
    await p.createClient({ name: 'SPA', public: true, redirectUris: ['https://app.example/cb'], allowedOrigins: [ALLOWED] });
  });

  const preflight = (origin: string) =>
    fetch(`${p.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  const actual = (origin: string) =>
    fetch(`${p.url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json', cookie: 'sid=x', ...bearer(normalTokens.access_token) }, body: JSON.stringify({ query: ME }) });

  it('GQ-11 preflight and POST from https://evil.example, Origin null and look-alikes: no Access-Control-Allow-Origin, never *', async () => {
    for (const origin of ['https://evil.example', 'null', 'https://app.example.evil.example', 'http://app.example', 'https://evil.example/https://app.example', 'https://app.example:444']) {
      for (const res of [await preflight(origin), await actual(origin)]) {
        expect(res.headers.get('access-control-allow-origin'), `${origin} ${res.status}`).toBeNull();
        expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
        expect(res.headers.get('access-control-allow-headers'), origin).toBeNull();
        expect(res.headers.get('access-control-allow-methods'), origin).toBeNull();
        await res.body?.cancel();
      }
    }
  });

  it('control: an origin registered on a client gets exactly its origin back (not *), with Vary: Origin', async () => {
    const pre = await preflight(ALLOWED);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(pre.headers.get('vary')).toMatch(/origin/i);
    const res = await actual(ALLOWED);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-origin')).not.toBe('*');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    await res.body?.cancel();
  });
});

describe('GQ-12 / GQ-13 admin data through other paths', () => {
  const tokens = () => [
    ['a normal user', normalTokens.access_token],
    ['an admin user without the admin scope', callers['an admin user without the admin scope']],
    ['no token', undefined],
  ] as const;

  it('GQ-13 me { user { … } } exposes no admin field: admin, active, hasPassword are validation errors, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const [who, token] of tokens()) {
        for (const field of ['admin', 'active', 'hasPassword', 'createdAt', 'updatedAt']) {
          expectValidationError(await call(`{ me { user { id ${field} } } }`, undefined, token), `${who}: me.user.${field}`);
        }
      }
    });
  });

  it('GQ-13 fragments and inline fragments on User / Client through me: validation errors, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const [who, token] of tokens()) {
        for (const query of [
          '{ me { user { ... on User { admin email } } } }',
          'query { me { user { ...F } } } fragment F on User { admin hasPassword }',
          '{ me { user { ... on Client { id redirectUris } } } }',
          'query { me { ...G } } fragment G on User { admin }',
          '{ me { ... on Query { users { edges { node { id } } } } } }',
        ]) {
          expectValidationError(await call(query, undefined, token), `${who}: ${query}`);
        }
      }
    });
  });

  it('GQ-13 node(id: "VXNlcjoy") and nodes: validation errors (no such field), ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const [who, token] of tokens()) {
        for (const query of [
          '{ node(id: "VXNlcjoy") { id } }',
          '{ node(id: "VXNlcjoy") { ... on User { admin email } } }',
          '{ nodes(ids: ["VXNlcjoy"]) { id } }',
          `{ node(id: "${Buffer.from(`User:${victim.id}`).toString('base64')}") { id } }`,
        ]) {
          expectValidationError(await call(query, undefined, token), `${who}: ${query}`);
        }
      }
    });
  });

  it('GQ-13 subscriptions over HTTP (the schema\'s one subscription, auditEvents, is served over WebSocket only): 400 validation error, not executed, not an internal error, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const [who, token] of tokens()) {
        for (const query of ['subscription { auditEvents { id details } }', 'subscription { users { edges { node { id } } } }', 'subscription { me { sub } }', 'subscription { userChanged { id admin } }']) {
          expectValidationError(await call(query, undefined, token), `${who}: ${query}`);
        }
      }
    });
  });

  it('GQ-13 a harmless field next to an admin field: the admin field is FORBIDDEN, no admin data leaks, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      const res = await call('{ me { sub } users(first: 100) { edges { node { id username email } } } }', undefined, normalTokens.access_token);
      expect(res.body.errors?.[0]?.extensions?.code, res.text).toBe('FORBIDDEN');
      expect(res.text).not.toContain(victim.username);
      expect(res.text).not.toContain(admin.user.username);
      expectClean(res);
    });
  });

  it('control: me { user { ... on PublicUser { … } } } returns the caller\'s own public profile', async () => {
    const res = await call('{ me { user { ... on PublicUser { id username email } } } }', undefined, normalTokens.access_token);
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.me.user).toEqual({ id: normal.id, username: normal.username, email: `${normal.username}@example.com` });
  });
});

describe('GQ-14 IDOR', () => {
  it('GQ-14 a non-admin asking user(id) of another user gets FORBIDDEN, exactly like for a random id, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const caller of CALLER_NAMES) {
        const q = 'query($id: ID!) { user(id: $id) { id email username } }';
        const other = await call(q, { id: victim.id }, callers[caller]);
        const random = await call(q, { id: randomUUID() }, callers[caller]);
        const malformed = await call(q, { id: 'no-such-user' }, callers[caller]);
        expectRefused(other, 'user', 'FORBIDDEN', `${caller}: another user`);
        expect(other.status, caller).toBe(random.status);
        expect(other.body, `${caller}: existing and random ids must be indistinguishable`).toEqual(random.body);
        expect(other.body, `${caller}: existing and malformed ids must be indistinguishable`).toEqual(malformed.body);
      }
    });
  });

  it('GQ-14 updateMe has no id argument: naming another user is a validation error; the victim is unchanged, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      const inline = await call(`mutation { updateMe(id: "${victim.id}", input: { givenName: "Hacked" }) { id givenName } }`, undefined, normalTokens.access_token);
      expectValidationError(inline, 'updateMe(id:)');
      const inInput = await call(`mutation { updateMe(input: { id: "${victim.id}", givenName: "Hacked" }) { id givenName } }`, undefined, normalTokens.access_token);
      expectValidationError(inInput, 'updateMe(input: { id })');
      const viaVariables = await call('mutation($i: UpdateMeInput!) { updateMe(input: $i) { id } }', { i: { id: victim.id, givenName: 'Hacked' } }, normalTokens.access_token);
      expectCoercionError(viaVariables, 'updateMe(input: $i) with an id member');
    });
    const row = await new UserService(p.db.orm.em).findById(victim.id);
    expect(row?.givenName).toBe('Victim');
  });
});

describe('GQ-15 mass assignment through updateMe', () => {
  let mass: User;
  let massTokens: Tokens;
  beforeAll(async () => {
    mass = await p.createUser({ givenName: 'Mass', emailVerified: false });
    massTokens = await tokensFor(p, app, mass, 'openid profile email');
  });

  const FORBIDDEN_MEMBERS: [string, string, unknown][] = [
    ['admin', 'true', true],
    ['emailVerified', 'true', true],
    ['email', '"a@b.c"', 'a@b.c'],
    ['active', 'false', false],
    ['username', '"root"', 'root'],
    ['password', '"new password 123"', 'new password 123'],
    ['passwordHash', '"x"', 'x'],
  ];

  it('GQ-15 updateMe with admin / emailVerified / email / active / username / password: validation error (inline and in variables); the row is unchanged, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const [member, literal, value] of FORBIDDEN_MEMBERS) {
        const inline = await call(`mutation { updateMe(input: { givenName: "x", ${member}: ${literal} }) { id givenName } }`, undefined, massTokens.access_token);
        expectValidationError(inline, `inline ${member}`);
        const vars = await call('mutation($i: UpdateMeInput!) { updateMe(input: $i) { id givenName } }', { i: { givenName: 'x', [member]: value } }, massTokens.access_token);
        expectCoercionError(vars, `variables ${member}`);
      }
    });
    const row = await new UserService(p.db.orm.em).findById(mass.id);
    expect(row).toMatchObject({ admin: false, active: true, emailVerified: false, email: `${mass.username}@example.com`, username: mass.username, givenName: 'Mass' });
  });

  it('control: updateMe(input: { givenName }) with the profile scope changes only the given name', async () => {
    const res = await call('mutation { updateMe(input: { givenName: "x" }) { id givenName email emailVerified } }', undefined, massTokens.access_token);
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.updateMe).toEqual({ id: mass.id, givenName: 'x', email: `${mass.username}@example.com`, emailVerified: false });
    const row = await new UserService(p.db.orm.em).findById(mass.id);
    expect(row).toMatchObject({ givenName: 'x', admin: false, active: true, emailVerified: false });
  });

  it('GQ-15 / BR-06 updateMe without the profile scope, and with a client_credentials token: FORBIDDEN, ∅DB', async () => {
    const noProfile = await tokensFor(p, app, mass, 'openid email');
    expect(noProfile.scope.split(' ')).not.toContain('profile');
    await expectNothingPersisted(p, async () => {
      expectRefused(await call('mutation { updateMe(input: { givenName: "y" }) { id } }', undefined, noProfile.access_token), 'updateMe', 'FORBIDDEN', 'no profile scope');
      // BR-02: a client token where a user token is required.
      expectRefused(
        await call('mutation { updateMe(input: { givenName: "y" }) { id } }', undefined, callers['a client_credentials token of a non-admin client']),
        'updateMe',
        'FORBIDDEN',
        'client_credentials token',
      );
      expectRefused(await call('mutation { updateMe(input: { givenName: "y" }) { id } }', undefined, adminClientToken), 'updateMe', 'FORBIDDEN', 'admin client token');
      expectRefused(await call('mutation { updateMe(input: { givenName: "y" }) { id } }'), 'updateMe', 'UNAUTHENTICATED', 'no token');
    });
  });
});

describe('GQ-16 backend errors', () => {
  const t = () => admin.tokens.access_token;

  it('GQ-16 malformed ids (SQL-ish) as an admin: null / [] / NOT_FOUND, no SQL text, no stacktrace, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const id of ["1' OR '1'='1", "x' UNION SELECT password_hash FROM users--", '%', '00000000-0000-0000-0000-00000000000g', `${victim.id}' OR '1'='1`, 'a'.repeat(5000)]) {
        const user = await call('query($id: ID!) { user(id: $id) { id } }', { id }, t());
        expect(user.body, `user(${id}): ${user.text}`).toEqual({ data: { user: null } });
        const client = await call('query($id: ID!) { client(id: $id) { id } }', { id }, t());
        expect(client.body, `client(${id}): ${client.text}`).toEqual({ data: { client: null } });
        const grants = await call('query($id: ID!) { byUser: grants(userId: $id) { id } byClient: grants(clientId: $id) { id } }', { id }, t());
        expect(grants.body, `grants(${id}): ${grants.text}`).toEqual({ data: { byUser: [], byClient: [] } });
        const sessions = await call('query($id: ID!) { sessions(userId: $id) { id } }', { id }, t());
        expect(sessions.body, `sessions(${id}): ${sessions.text}`).toEqual({ data: { sessions: [] } });
        for (const m of ['revokeSession(id: $id)', 'revokeGrant(id: $id) { id }', 'deleteUser(id: $id)', 'deleteClient(id: $id)', 'rotateClientSecret(id: $id) { clientSecret }', 'updateUser(id: $id, input: { givenName: "z" }) { id }', 'setUserPassword(id: $id, password: null) { id }']) {
          const res = await call(`mutation($id: ID!) { ${m} }`, { id }, t());
          expect(res.status, `${m} ${id}: ${res.text}`).toBe(200);
          expect(res.body.errors?.[0]?.extensions, `${m} ${id}: ${res.text}`).toEqual({ code: 'NOT_FOUND' });
          // The message may echo the id it was given; beyond that echo, no SQL or driver text.
          expectClean({ ...res, text: res.text.replaceAll(id, '<id>') }, `${m} ${id}`);
        }
        for (const a of [user, client, grants, sessions]) expectClean(a, id);
      }
    });
  });

  it('GQ-16 a unique-constraint violation: BAD_USER_INPUT naming the field, no constraint, table or driver text, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const username of [victim.username, victim.username.toUpperCase()]) {
        const res = await call('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username } }, t());
        expect(res.status).toBe(200);
        expect(res.body.errors?.[0]?.extensions, res.text).toEqual({ code: 'BAD_USER_INPUT', field: 'username' });
        expect(res.body.data).toBeNull();
        expect(res.text).not.toMatch(/duplicate|unique|constraint|users_|_key|relation|detail|23505/i);
        expectClean(res);
      }
      const dupClient = await call('mutation($i: CreateClientInput!) { createClient(input: $i) { clientSecret } }', { i: { id: victimClient.clientId, name: 'Dup', redirectUris: ['https://rp.example/cb'] } }, t());
      expect(dupClient.body.errors?.[0]?.extensions, dupClient.text).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
      expect(dupClient.text).not.toMatch(/duplicate|unique|constraint|clients_|_pkey|relation|detail|23505/i);
      expect(dupClient.text).not.toMatch(/"clientSecret":"/);
      expectClean(dupClient);
    });
  });

  it('GQ-16 variables {"id":{"$ne":null}} (and other non-strings) for ID!: 400 BAD_USER_INPUT, nothing executed, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const id of [{ $ne: null }, { $gt: '' }, [victim.id], null, true]) {
        expectCoercionError(await call('query($id: ID!) { user(id: $id) { id email } }', { id }, t()), `user ${JSON.stringify(id)}`);
        expectCoercionError(await call('mutation($id: ID!) { deleteUser(id: $id) }', { id }, t()), `deleteUser ${JSON.stringify(id)}`);
      }
    });
  });
});

describe('GQ-17 injection through arguments', () => {
  let special: User[];
  beforeAll(async () => {
    special = [
      await p.createUser({ username: `under_score-${randomUUID().slice(0, 6)}`, givenName: 'Plain' }),
      await p.createUser({ givenName: '100% Real', familyName: 'Percent' }),
      await p.createUser({ givenName: "O'Brien", familyName: 'Quote' }),
      await p.createUser({ givenName: 'Nothing', familyName: 'Special' }),
    ];
    await p.createClient({ name: 'Client_with_underscore' });
    await p.createClient({ name: 'Client 100%' });
  });

  const t = () => admin.tokens.access_token;
  const USER_TEXT = (n: { username: string; email: string | null; givenName: string | null; familyName: string | null }) => [n.username, n.email ?? '', n.givenName ?? '', n.familyName ?? ''];
  /** What a search matches (docs/OPERATIONS.md "Search indexes"): the text anywhere, or at the start below 3 characters, without case. */
  const matches = (value: string, search: string) => ([...search].length >= 3 ? value.toLowerCase().includes(search.toLowerCase()) : value.toLowerCase().startsWith(search.toLowerCase()));

  async function allUsers() {
    const res = await call('{ users(first: 100) { edges { node { id username email givenName familyName } } pageInfo { hasNextPage } } }', undefined, t());
    expect(res.body.data.users.pageInfo.hasNextPage).toBe(false);
    return res.body.data.users.edges.map((e: { node: unknown }) => e.node) as { id: string; username: string; email: string | null; givenName: string | null; familyName: string | null }[];
  }
  async function allClients() {
    const res = await call('{ clients(first: 100) { edges { node { id name } } pageInfo { hasNextPage } } }', undefined, t());
    expect(res.body.data.clients.pageInfo.hasNextPage).toBe(false);
    return res.body.data.clients.edges.map((e: { node: unknown }) => e.node) as { id: string; name: string }[];
  }

  it('GQ-17 users(search: …) matches literally: "%", "_", "\' OR 1=1--", "\\\\" return exactly the rows containing that text (below 3 characters: starting with it), ∅DB', async () => {
    const everyone = await allUsers();
    expect(everyone.map((u) => u.id)).toEqual(expect.arrayContaining(special.map((u) => u.id)));
    await expectNothingPersisted(p, async () => {
      for (const search of ['%', '_', "' OR 1=1--", "' OR '1'='1", '\\', "'", '%%', '_%_', 'id; DROP TABLE users']) {
        const res = await call('query($s: String) { users(first: 100, search: $s) { edges { node { id } } } }', { s: search }, t());
        expect(res.body.errors, `${search}: ${res.text}`).toBeUndefined();
        const got = res.body.data.users.edges.map((e: { node: { id: string } }) => e.node.id).sort();
        const expected = everyone.filter((u) => USER_TEXT(u).some((v) => matches(v, search))).map((u) => u.id).sort();
        expect(got, `users(search: ${JSON.stringify(search)})`).toEqual(expected);
        expectClean(res, search);
      }
    });
    // Sanity: the literal searches do find the special users.
    const pct = await call('{ users(search: "0%") { edges { node { id } } } }', undefined, t());
    expect(pct.body.data.users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([]);
    const pct3 = await call('{ users(search: "00%") { edges { node { id } } } }', undefined, t());
    expect(pct3.body.data.users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([special[1]!.id]);
    const quote2 = await call(`{ users(search: "o'") { edges { node { id } } } }`, undefined, t());
    expect(quote2.body.data.users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([special[2]!.id]);
    const quote = await call(`{ users(search: "O'Brien") { edges { node { id } } } }`, undefined, t());
    expect(quote.body.data.users.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([special[2]!.id]);
  });

  it('GQ-17 clients(search: "_" / "%" / "\' OR 1=1--") matches literally, ∅DB', async () => {
    const all = await allClients();
    await expectNothingPersisted(p, async () => {
      for (const search of ['_', '%', "' OR 1=1--", '\\']) {
        const res = await call('query($s: String) { clients(first: 100, search: $s) { edges { node { id } } } }', { s: search }, t());
        expect(res.body.errors, `${search}: ${res.text}`).toBeUndefined();
        const got = res.body.data.clients.edges.map((e: { node: { id: string } }) => e.node.id).sort();
        const expected = all.filter((c) => [c.id, c.name].some((v) => matches(v, search))).map((c) => c.id).sort();
        expect(got, `clients(search: ${JSON.stringify(search)})`).toEqual(expected);
      }
    });
    expect(all.some((c) => c.name === 'Client_with_underscore')).toBe(true);
  });

  it('GQ-17 there is no orderBy / filter argument to inject into: validation errors, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      expectValidationError(await call('{ users(orderBy: "id; DROP TABLE users") { edges { node { id } } } }', undefined, t()), 'orderBy');
      expectValidationError(await call('{ users(filter: "\' OR 1=1--") { edges { node { id } } } }', undefined, t()), 'filter');
      expectCoercionError(await call('query($s: String) { users(search: $s) { edges { node { id } } } }', { s: { $ne: null } }, t()), 'search as an object');
    });
  });
});

describe('GQ-18 rate limit by root fields', () => {
  let limited: TestProvider;
  beforeAll(async () => {
    limited = await startProvider({ JWT_OIDC_GRAPHQL_RATE_LIMIT: '30' });
  });
  afterAll(() => limited?.close());

  const aliased = (n: number, field = 'serverInfo { version }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  const ask = (query: string, token?: string) => post(query, undefined, token ? bearer(token) : {}, '/graphql', limited);

  function expectLimited(a: Answer, what: string): void {
    expect(a.status, `${what}: ${a.text}`).toBe(429);
    const retry = Number(a.headers.get('retry-after'));
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 60, `${what}: Retry-After ${a.headers.get('retry-after')}`).toBe(true);
    expect(a.body.errors?.[0]?.extensions?.code, what).toBe('TOO_MANY_REQUESTS');
    expect(a.body.data ?? null, what).toBeNull();
    expectClean(a, what);
  }

  it('GQ-18 each alias counts: two requests of 15 aliased fields use up 30, the third gets 429 with Retry-After; per caller', async () => {
    const rp = await limited.createClient({ name: 'Limited RP', firstParty: true });
    const [alice, bob] = [await limited.createUser(), await limited.createUser()];
    const aliceTokens = await tokensFor(limited, rp, alice, 'openid profile');
    const bobTokens = await tokensFor(limited, rp, bob, 'openid profile');

    // Anonymous (per address).
    expect((await ask(aliased(15))).status).toBe(200);
    expect((await ask(aliased(15))).status).toBe(200);
    expectLimited(await ask(aliased(15)), 'anonymous, third request');
    expectLimited(await ask('{ serverInfo { version } }'), 'anonymous, one more field');

    // A token caller has a budget of its own.
    const first = await ask(aliased(15, 'me { sub }'), aliceTokens.access_token);
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.a0.sub).toBe(alice.id);
    expect((await ask(aliased(15, 'me { sub }'), aliceTokens.access_token)).status).toBe(200);
    expectLimited(await ask(aliased(15, 'me { sub }'), aliceTokens.access_token), 'alice, third request');

    // A fresh token of the same user at the same client is the same caller.
    const again = await tokensFor(limited, rp, alice, 'openid profile');
    expectLimited(await ask('{ me { sub } }', again.access_token), 'alice with a new token');

    // Another user is another caller; and anonymous is still limited.
    const other = await ask('{ me { sub } }', bobTokens.access_token);
    expect(other.status, other.text).toBe(200);
    expect(other.body.data.me.sub).toBe(bob.id);
    expectLimited(await ask('{ serverInfo { version } }'), 'anonymous, still');
  });

  it('GQ-18 fragments and inline fragments count their root fields too', async () => {
    const rp = await limited.createClient({ name: 'Fragments RP', firstParty: true });
    const carol = await limited.createUser();
    const tokens = await tokensFor(limited, rp, carol, 'openid profile');
    const fragments = `query { ...F ... on Query { ${Array.from({ length: 7 }, (_, i) => `i${i}: me { sub }`).join(' ')} } } fragment F on Query { ${Array.from({ length: 8 }, (_, i) => `f${i}: me { sub }`).join(' ')} }`;
    expect((await ask(fragments, tokens.access_token)).status).toBe(200);
    expect((await ask(fragments, tokens.access_token)).status).toBe(200);
    expectLimited(await ask('{ me { sub } }', tokens.access_token), 'carol after 30 fields through fragments');
  });

  it('GQ-18 a request is admitted only when all its root fields fit in what is left of the budget (no overshoot past the limit)', async () => {
    const rp = await limited.createClient({ name: 'Overshoot RP', firstParty: true });
    const dave = await limited.createUser();
    const tokens = await tokensFor(limited, rp, dave, 'openid profile');
    expect((await ask(aliased(14, 'me { sub }'), tokens.access_token)).status).toBe(200);
    expect((await ask(aliased(14, 'me { sub }'), tokens.access_token)).status).toBe(200);
    // 28 used of 30: 15 more fields would make 43 root fields within the minute.
    expectLimited(await ask(aliased(15, 'me { sub }'), tokens.access_token), 'dave, 28 + 15 > 30');
    // What still fits is admitted.
    expect((await ask(aliased(2, 'me { sub }'), tokens.access_token)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// Section G: bearer validation at /graphql

describe('BR-01…BR-06 bearer validation at /graphql', () => {
  it('BR-01 the user\'s ID token (and a refresh token) as a bearer token: 401 invalid_token, ∅DB', async () => {
    expect(normalTokens.id_token).toBeTruthy();
    await expectNothingPersisted(p, async () => {
      expectInvalidToken(await call(ME, undefined, normalTokens.id_token), 'ID token');
      expectInvalidToken(await call(ME, undefined, victimTokens.id_token), 'ID token of another user');
      expectInvalidToken(await call(ME, undefined, victimTokens.refresh_token), 'refresh token');
    });
  });

  it('BR-02 an AT minted for another audience, or an aud array without the API: 401 invalid_token', async () => {
    const keys = p.provider!.keys;
    await expectNothingPersisted(p, async () => {
      for (const aud of ['https://api.example', ['https://api.example'], ['https://api.example', 'https://api.example/graphql'], `${p.issuer}/`, `${p.issuer}/graphql`, `${p.url}/graphql`, '']) {
        expectInvalidToken(await call(ME, undefined, await keys.sign(atClaims({ aud }), { typ: 'at+jwt' })), `aud ${JSON.stringify(aud)}`);
      }
      const noAud = atClaims();
      delete noAud.aud;
      expectInvalidToken(await call(ME, undefined, await keys.sign(noAud, { typ: 'at+jwt' })), 'no aud');
    });
    // Control: an aud array that contains this API is accepted.
    const ok = await call(ME, undefined, await keys.sign(atClaims({ aud: [p.issuer, 'https://api.example'] }), { typ: 'at+jwt' }));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.me.sub).toBe(normal.id);
  });

  it('BR-03 typ JWT or no typ: 401; at+jwt, AT+JWT, application/at+jwt, Application/AT+JWT: accepted', async () => {
    const keys = p.provider!.keys;
    for (const typ of ['JWT', 'jwt', undefined, 'at+jwt+x', 'application/jwt', 'id_token+jwt', 'logout+jwt']) {
      expectInvalidToken(await call(ME, undefined, await keys.sign(atClaims(), typ === undefined ? {} : { typ })), `typ ${typ}`);
    }
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT']) {
      const res = await call(ME, undefined, await keys.sign(atClaims(), { typ }));
      expect(res.status, `typ ${typ}: ${res.text}`).toBe(200);
      expect(res.body.data.me.sub, `typ ${typ}`).toBe(normal.id);
    }
  });

  it('BR-04 after revokeGrant (as admin) the access token is refused at once', async () => {
    const user = await p.createUser();
    const tokens = await tokensFor(p, app, user, 'openid profile');
    expect((await call(ME, undefined, tokens.access_token)).status).toBe(200);
    const grant = decodeJwt(tokens.access_token).grant_id as string;
    const revoked = await call('mutation($id: ID!) { revokeGrant(id: $id) { id active } }', { id: grant }, admin.tokens.access_token);
    expect(revoked.body.data?.revokeGrant, revoked.text).toEqual({ id: grant, active: false });
    expectInvalidToken(await call(ME, undefined, tokens.access_token), 'AT of a revoked grant');
    // And re-minting the claims with the real key does not revive it: the grant is checked, not the token.
    expectInvalidToken(await call(ME, undefined, await p.provider!.keys.sign({ ...decodeJwt(tokens.access_token), jti: randomUUID() }, { typ: 'at+jwt' })), 'revoked grant, re-signed');
  });

  it('BR-05 /graphql?access_token=<valid>: 400, with or without a valid header too; never executed; the token is not logged', async () => {
    const t = normalTokens.access_token;
    await expectNothingPersisted(p, async () => {
      for (const [what, headers] of [
        ['query only', {}],
        ['query and a valid header', bearer(t)],
      ] as const) {
        const res = await post(ME, undefined, headers, `/graphql?access_token=${t}`);
        expect(res.status, `${what}: ${res.text}`).toBe(400);
        expect(res.body.data ?? null, what).toBeNull();
        expect(res.text, what).not.toContain(normal.id);
        expect(res.headers.get('www-authenticate') ?? '', what).toContain('error="invalid_request"');
        expectClean(res, what);
      }
      const viaGet = await answer(await fetch(`${p.url}/graphql?query=${encodeURIComponent(ME)}&access_token=${t}`, { headers: { 'apollo-require-preflight': '1' } }));
      expect(viaGet.status, viaGet.text).toBe(400);
      expect(viaGet.text).not.toContain(normal.id);
      const empty = await post(ME, undefined, bearer(t), '/graphql?access_token=');
      expect(empty.status, empty.text).toBe(400);
    });
    expect(JSON.stringify(p.logs), 'an access token in the logs').not.toContain(t);
    expect(JSON.stringify(p.logs)).not.toContain(t.split('.')[2]!);
  });

  it('BR-05 a token in a Cookie header only: the caller is anonymous (me → UNAUTHENTICATED)', async () => {
    const t = normalTokens.access_token;
    const res = await post(ME, undefined, { cookie: `access_token=${t}; token=${t}; authorization=Bearer%20${t}; Authorization=Bearer ${t}` });
    expectRefused(res, 'me', 'UNAUTHENTICATED', 'cookie only');
    expect(res.text).not.toContain(normal.id);
  });

  it('BR-06 tokens without admin calling admin mutations, and a token without profile calling updateMe: FORBIDDEN, ∅DB', async () => {
    const readOnly = await tokensFor(p, app, normal, 'openid email');
    await expectNothingPersisted(p, async () => {
      for (const token of [readOnly.access_token, normalTokens.access_token]) {
        expectRefused(await call('mutation { createUser(input: { username: "eve", admin: true }) { id } }', undefined, token), 'createUser', 'FORBIDDEN', 'createUser');
        expectRefused(await call('mutation($id: ID!) { updateUser(id: $id, input: { admin: true }) { id } }', { id: normal.id }, token), 'updateUser', 'FORBIDDEN', 'updateUser on oneself');
      }
      expectRefused(await call('mutation { updateMe(input: { givenName: "ro" }) { id } }', undefined, readOnly.access_token), 'updateMe', 'FORBIDDEN', 'updateMe without profile');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Section D rows at /graphql

describe('JW rows at /graphql', () => {
  const meWith = (token: string) => call(ME, undefined, token);

  it('JW-02 alg none (none, None, NONE, nOnE), with and without the signature: 401, ∅DB', async () => {
    const [h, pl, s] = normalTokens.access_token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    await expectNothingPersisted(p, async () => {
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        expectInvalidToken(await meWith(`${enc({ ...header, alg })}.${pl}.`), `alg ${alg}, empty signature`);
        expectInvalidToken(await meWith(`${enc({ ...header, alg })}.${pl}.${s}`), `alg ${alg}, original signature`);
        expectInvalidToken(await meWith(`${enc({ alg, typ: 'at+jwt' })}.${enc(atClaims({ scope: 'openid profile admin' }))}.`), `alg ${alg}, no kid, admin scope`);
      }
    });
  });

  it('JW-03 HS256 keyed with the provider public key (JWK JSON, PEM, DER, raw bytes, base64url text): 401', async () => {
    const jwks = await publishedJwks();
    expect(jwks.length).toBeGreaterThan(0);
    await expectNothingPersisted(p, async () => {
      for (const jwk of jwks) {
        const pub = createPublicKey({ key: jwk as never, format: 'jwk' });
        const pem = pub.export({ type: 'spki', format: 'pem' }) as string;
        const der = pub.export({ type: 'spki', format: 'der' });
        const raw = jwk.kty === 'EC' ? Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]) : Buffer.from((jwk.n ?? jwk.x)!, 'base64url');
        const secrets: Uint8Array[] = [JSON.stringify(jwk), pem, pem.trim(), String(jwk.n ?? jwk.x)].map((v) => new TextEncoder().encode(v));
        secrets.push(new Uint8Array(der), new Uint8Array(raw));
        for (const [i, secret] of secrets.entries()) {
          for (const alg of ['HS256', 'HS384', 'HS512']) {
            const hs = await new SignJWT(atClaims({ scope: 'openid profile admin' })).setProtectedHeader({ alg, kid: jwk.kid, typ: 'at+jwt' }).sign(secret);
            expectInvalidToken(await meWith(hs), `${alg} keyed with public key form ${i} of ${jwk.kid}`);
          }
        }
      }
    });
  });

  it('JW-04 the provider RSA key used with another alg than its own (PS256, RS512 under an RS256 kid): 401', async () => {
    const rsa = providerKeys().find((k) => k.alg === 'RS256');
    if (!rsa) return; // no RSA family in this configuration
    const input = (alg: string) => `${enc({ alg, kid: rsa.kid, typ: 'at+jwt' })}.${enc(atClaims())}`;
    const ps = input('PS256');
    expectInvalidToken(await meWith(`${ps}.${nodeSign('sha256', Buffer.from(ps), { key: rsa.signingKey!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64url')}`), 'PS256 with the RS256 key');
    const rs512 = input('RS512');
    expectInvalidToken(await meWith(`${rs512}.${nodeSign('sha512', Buffer.from(rs512), rsa.signingKey!).toString('base64url')}`), 'RS512 with the RS256 key');
    // Control: the same key with its own alg is accepted.
    const own = input('RS256');
    const ok = await meWith(`${own}.${nodeSign('sha256', Buffer.from(own), rsa.signingKey!).toString('base64url')}`);
    expect(ok.status, ok.text).toBe(200);
  });

  it('JW-05 a payload byte flipped, sub → an admin, scope + admin under the original signature; an attacker key reusing the kid: 401, ∅DB', async () => {
    const [h, pl, s] = normalTokens.access_token.split('.') as [string, string, string];
    const claims = decodeJwt(normalTokens.access_token);
    const i = Math.floor(pl.length / 2);
    const flipped = `${pl.slice(0, i)}${pl[i] === 'A' ? 'B' : 'A'}${pl.slice(i + 1)}`;
    const { alg, kid } = decodeProtectedHeader(normalTokens.access_token) as { alg: string; kid: string };
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    await expectNothingPersisted(p, async () => {
      expectInvalidToken(await meWith(`${h}.${flipped}.${s}`), 'payload character flipped');
      expectInvalidToken(await meWith(`${h}.${enc({ ...claims, sub: admin.user.id })}.${s}`), 'sub replaced by an admin');
      expectInvalidToken(await meWith(`${h}.${enc({ ...claims, scope: 'openid profile admin' })}.${s}`), 'admin scope added');
      const j = Math.floor(s.length / 2);
      expectInvalidToken(await meWith(`${h}.${pl}.${s.slice(0, j)}${s[j] === 'A' ? 'B' : 'A'}${s.slice(j + 1)}`), 'signature character flipped');
      const foreign = await new SignJWT({ ...claims, sub: admin.user.id, scope: 'openid admin' }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(privateKey);
      expectInvalidToken(await meWith(foreign), 'an attacker key with the provider kid');
      const adminForged = await call('{ keyRotationStatus { family } }', undefined, foreign);
      expectInvalidToken(adminForged, 'an attacker key with the provider kid, admin query');
    });
  });

  it('JW-06 kid injection (path traversal, SQL, URL, huge, non-string): 401, never a 500, no SQL text, ∅DB', async () => {
    await expectNothingPersisted(p, async () => {
      for (const kid of ['../../../../dev/null', "' OR '1'='1", "x' UNION SELECT 'k'--", 'https://evil.example/k', '', 'k'.repeat(5000), 123, {}, ['a'], null, true]) {
        const token = realSign({ kid }, atClaims());
        expectInvalidToken(await meWith(token), `kid ${JSON.stringify(kid).slice(0, 40)}`);
      }
    });
    // A 1 MB kid: refused by the HTTP server (431) or as a token (401); never a 500.
    const huge = await fetch(`${p.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(realSign({ kid: 'k'.repeat(1 << 20) }, atClaims())) }, body: JSON.stringify({ query: ME }) }).catch(() => undefined);
    if (huge) {
      expect([401, 431], `1 MB kid: ${huge.status}`).toContain(huge.status);
      await huge.body?.cancel();
    }
    // The server is still fine.
    expect((await meWith(normalTokens.access_token)).status).toBe(200);
  });

  describe('JW-07 / JW-08 keys named by the token', () => {
    let attacker: Server;
    let hits = 0;
    let attackerUrl = '';
    let attackerPrivate: CryptoKey;
    let attackerJwk: JWK;
    beforeAll(async () => {
      const alg = atKey().alg;
      const pair = await generateKeyPair(alg, { extractable: true });
      attackerPrivate = pair.privateKey;
      attackerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'attacker', alg, use: 'sig' };
      attacker = createServer((req, res) => {
        hits++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerJwk] }));
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      // The attacker server works (so zero hits below means zero requests were made).
      expect((await fetch(`${attackerUrl}/probe`)).status).toBe(200);
      hits = 0;
    });
    afterAll(() => new Promise<void>((resolve) => attacker?.close(() => resolve())));

    it('JW-07 jku / x5u pointing at an attacker JWKS, signed by the attacker (own kid or the provider kid): 401, zero outbound requests', async () => {
      const alg = atKey().alg;
      await expectNothingPersisted(p, async () => {
        for (const kid of ['attacker', atKey().kid]) {
          for (const member of ['jku', 'x5u']) {
            const token = await new SignJWT(atClaims({ scope: 'openid profile admin' })).setProtectedHeader({ alg, kid, typ: 'at+jwt', [member]: `${attackerUrl}/jwks.json` }).sign(attackerPrivate);
            expectInvalidToken(await meWith(token), `${member} with kid ${kid}`);
          }
        }
        // The provider's own key with a jku: still verified against the pinned keys only, no fetch.
        const own = realSign({ jku: `${attackerUrl}/own.json`, x5u: `${attackerUrl}/own.pem` }, atClaims());
        const res = await meWith(own);
        expect([200, 401], res.text).toContain(res.status);
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(hits, 'requests received by the attacker JWKS server').toBe(0);
    });

    it('JW-08 jwk / x5c header carrying the attacker key, signed by the attacker: 401', async () => {
      const alg = atKey().alg;
      const publicOnly = { ...attackerJwk };
      await expectNothingPersisted(p, async () => {
        for (const kid of [undefined, 'attacker', atKey().kid]) {
          const jwkToken = await new SignJWT(atClaims({ scope: 'openid profile admin' }))
            .setProtectedHeader({ alg, typ: 'at+jwt', jwk: publicOnly, ...(kid ? { kid } : {}) })
            .sign(attackerPrivate);
          expectInvalidToken(await meWith(jwkToken), `jwk header, kid ${kid}`);
          const x5cToken = await new SignJWT(atClaims()).setProtectedHeader({ alg, typ: 'at+jwt', x5c: [Buffer.from('not really a certificate').toString('base64')], ...(kid ? { kid } : {}) }).sign(attackerPrivate);
          expectInvalidToken(await meWith(x5cToken), `x5c header, kid ${kid}`);
        }
      });
      expect(hits).toBe(0);
    });
  });

  it('JW-09 crit with unknown or registered members, and b64:false: 401 (real key)', async () => {
    await expectNothingPersisted(p, async () => {
      for (const extra of [{ crit: ['urn:x:unknown'], 'urn:x:unknown': 1 }, { crit: ['exp'] }, { crit: [] }, { b64: false, crit: ['b64'] }, { crit: 'urn:x:unknown' }]) {
        expectInvalidToken(await meWith(realSign(extra, atClaims())), `header ${JSON.stringify(extra)}`);
      }
    });
  });

  it('JW-11 malformed encodings: DER ECDSA signature, truncated signature, 4 segments, empty segments: 401 (or 400 for a malformed header), never 500', async () => {
    const key = atKey();
    const input = `${enc({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })}.${enc(atClaims())}`;
    const sig = nodeSign(key.alg.startsWith('ES') ? `sha${key.alg.slice(2)}` : 'sha256', Buffer.from(input), key.alg.startsWith('ES') ? { key: key.signingKey!, dsaEncoding: 'der' } : key.signingKey!).toString('base64url');
    const [h, pl, s] = normalTokens.access_token.split('.') as [string, string, string];
    await expectNothingPersisted(p, async () => {
      if (key.alg.startsWith('ES')) expectInvalidToken(await meWith(`${input}.${sig}`), 'DER-encoded ECDSA signature');
      const raw = Buffer.from(s, 'base64url');
      expectInvalidToken(await meWith(`${h}.${pl}.${raw.subarray(0, raw.length - 1).toString('base64url')}`), 'signature one byte short');
      expectInvalidToken(await meWith(`${h}.${pl}.${Buffer.concat([raw, Buffer.from([0])]).toString('base64url')}`), 'signature one byte long');
      expectInvalidToken(await meWith(`${h}.${pl}.${s}.${s}`), '4 segments');
      expectInvalidToken(await meWith(`${h}..${s}`), 'empty payload');
      expectInvalidToken(await meWith(`.${pl}.${s}`), 'empty header');
      expectInvalidToken(await meWith(`${h}.${pl}`), '2 segments');
      for (const junk of ['a.b.c', '...', '-.-.-']) expectInvalidToken(await meWith(junk), junk);
      const spaced = await post(ME, undefined, { authorization: `Bearer ${h}. ${pl}.${s}` });
      expect([400, 401], spaced.text).toContain(spaced.status);
    });
  });

  it('JW-11 the signature re-encoded as padded standard base64 (+ / =): 401 — the same token under another spelling is not a valid JWS', async () => {
    // Find a token whose signature has '-' or '_' (so re-encoding changes it), then add '=' padding.
    let token = normalTokens.access_token;
    for (let n = 0; n < 50 && !/[-_]/.test(token.split('.')[2]!); n++) token = await p.provider!.keys.sign(atClaims(), { typ: 'at+jwt' });
    const [h, pl, s] = token.split('.') as [string, string, string];
    expect((await meWith(token)).status, 'control: the original spelling works').toBe(200);
    const standard = Buffer.from(s, 'base64url').toString('base64');
    expect(standard).not.toBe(s);
    const variants: Record<string, string> = {
      'signature as padded standard base64': `${h}.${pl}.${standard}`,
      'signature with = padding': `${h}.${pl}.${s}${'='.repeat((4 - (s.length % 4)) % 4 || 1)}`,
      'signature with == padding': `${h}.${pl}.${s}==`,
      'payload with = padding': `${h}.${pl}=.${s}`,
    };
    const statuses: Record<string, number> = {};
    for (const [what, t] of Object.entries(variants)) statuses[what] = (await meWith(t)).status;
    // A padded payload is not even b64token syntax (RFC 6750 §2.1): 400 invalid_request.
    expect(statuses, 'every respelling must be refused').toEqual({
      'signature as padded standard base64': 401,
      'signature with = padding': 401,
      'signature with == padding': 401,
      'payload with = padding': 400,
    });
  });

  it('JW-13 expired (now − 61 s), exp missing / string / -1 / null / true, nbf in 1 h, iat missing / string: 401 (real key)', async () => {
    const keys = p.provider!.keys;
    const base = () => atClaims({ iat: nowS(), exp: nowS() + 300 });
    const variants: [string, JWTPayload][] = [
      ['exp now − 61 s', { ...base(), iat: nowS() - 400, exp: nowS() - 61 }],
      ['exp now − 3600 s', { ...base(), iat: nowS() - 4000, exp: nowS() - 3600 }],
      ['exp missing', { ...base(), exp: undefined }],
      ['exp "9999999999"', { ...base(), exp: '9999999999' as never }],
      ['exp -1', { ...base(), exp: -1 }],
      ['exp null', { ...base(), exp: null as never }],
      ['exp true', { ...base(), exp: true as never }],
      ['nbf now + 1 h', { ...base(), nbf: nowS() + 3600 }],
      ['nbf "0"', { ...base(), nbf: '0' as never }],
      ['iat missing', { ...base(), iat: undefined }],
      ['iat "now"', { ...base(), iat: String(nowS()) as never }],
    ];
    await expectNothingPersisted(p, async () => {
      for (const [what, claims] of variants) expectInvalidToken(await meWith(await keys.sign(JSON.parse(JSON.stringify(claims)) as JWTPayload, { typ: 'at+jwt' })), what);
    });
    // Control: fresh time claims are accepted.
    expect((await meWith(await keys.sign(base(), { typ: 'at+jwt' }))).status).toBe(200);
  });

  it('JW-13 iat one hour in the future: 401 (real key)', async () => {
    const token = await p.provider!.keys.sign(atClaims({ iat: nowS() + 3600, exp: nowS() + 3900 }), { typ: 'at+jwt' });
    expectInvalidToken(await meWith(token), 'iat now + 1 h');
  });

  it('JW-13 exp 1e308 (a lifetime no access token of this provider has): 401 (real key)', async () => {
    const token = await p.provider!.keys.sign(atClaims({ iat: nowS(), exp: 1e308 }), { typ: 'at+jwt' });
    expectInvalidToken(await meWith(token), 'exp 1e308');
  });

  it('JW-14 issuer variants: trailing slash, upper case, other scheme, other host spelling, array, missing: 401 (real key)', async () => {
    const keys = p.provider!.keys;
    const iss = p.issuer;
    const url = new URL(iss);
    const variants: unknown[] = [
      `${iss}/`,
      iss.toUpperCase(),
      iss.replace(url.hostname, url.hostname.toUpperCase()),
      iss.replace(/^http:/, 'HTTP:'),
      iss.replace(/^http:/, 'https:'),
      iss.replace(/^https:/, 'http:'),
      iss.replace(url.hostname, '127.0.0.1'),
      `${iss}#`,
      `${iss}?`,
      ` ${iss}`,
      [iss],
      { iss },
      'https://evil.example',
    ].filter((v) => v !== iss);
    await expectNothingPersisted(p, async () => {
      for (const v of variants) expectInvalidToken(await meWith(await keys.sign(atClaims({ iss: v }), { typ: 'at+jwt' })), `iss ${JSON.stringify(v)}`);
      const noIss = atClaims();
      delete noIss.iss;
      expectInvalidToken(await meWith(await keys.sign(noIss, { typ: 'at+jwt' })), 'iss missing');
    });
  });

  it('JW-15 payload null, [], "str", 123 and a header [] under the real key: 401, never 500', async () => {
    await expectNothingPersisted(p, async () => {
      for (const payload of [null, [], 'str', 123, true]) expectInvalidToken(await meWith(realSign({}, payload)), `payload ${JSON.stringify(payload)}`);
      const key = atKey();
      const input = `${enc([])}.${enc(atClaims())}`;
      const signature = nodeSign(key.alg.startsWith('ES') ? `sha${key.alg.slice(2)}` : 'sha256', Buffer.from(input), key.alg.startsWith('ES') ? { key: key.signingKey!, dsaEncoding: 'ieee-p1363' } : key.signingKey!).toString('base64url');
      expectInvalidToken(await meWith(`${input}.${signature}`), 'header []');
    });
  });

  it('JW-15 a payload (or header) starting with a UTF-8 BOM, or in UTF-16, under the real key: 401', async () => {
    const key = atKey();
    const signRaw = (headerBytes: Buffer, payloadBytes: Buffer) => {
      const input = `${headerBytes.toString('base64url')}.${payloadBytes.toString('base64url')}`;
      const sig = nodeSign(key.alg.startsWith('ES') ? `sha${key.alg.slice(2)}` : 'sha256', Buffer.from(input), key.alg.startsWith('ES') ? { key: key.signingKey!, dsaEncoding: 'ieee-p1363' } : key.signingKey!);
      return `${input}.${sig.toString('base64url')}`;
    };
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }));
    const payload = Buffer.from(JSON.stringify(atClaims()));
    expect((await meWith(signRaw(header, payload))).status, 'control: the same bytes without a BOM are accepted').toBe(200);
    const variants: Record<string, string> = {
      'payload in UTF-16': signRaw(header, Buffer.from(JSON.stringify(atClaims()), 'utf16le')),
      'payload with a BOM': signRaw(header, Buffer.concat([BOM, payload])),
      'header with a BOM': signRaw(Buffer.concat([BOM, header]), payload),
    };
    const statuses: Record<string, number> = {};
    for (const [what, token] of Object.entries(variants)) statuses[what] = (await meWith(token)).status;
    expect(statuses, 'every variant must be refused with 401').toEqual(Object.fromEntries(Object.keys(variants).map((k) => [k, 401])));
    for (const [what, token] of Object.entries(variants)) expectInvalidToken(await meWith(token), what);
  });

  it('JW-16 / JW-18 / JW-19 a JWE where a JWS is expected (encrypted to the provider public key; PBES2 with a huge p2c; zip DEF): 401, fast', async () => {
    const jwks = await publishedJwks();
    await expectNothingPersisted(p, async () => {
      for (const jwk of jwks) {
        const alg = jwk.kty === 'RSA' ? 'RSA-OAEP-256' : jwk.kty === 'EC' ? 'ECDH-ES+A256KW' : undefined;
        if (!alg) continue;
        const pub = await importJWK({ ...jwk, alg }, alg);
        const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(atClaims({ scope: 'openid profile admin' }))))
          .setProtectedHeader({ alg, enc: 'A256GCM', cty: 'JWT', typ: 'at+jwt', kid: jwk.kid })
          .encrypt(pub);
        expect(jwe.split('.')).toHaveLength(5);
        expectInvalidToken(await meWith(jwe), `JWE ${alg} to ${jwk.kid}`);
      }
      const started = Date.now();
      const pbes2 = `${enc({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2147483647, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' })}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`;
      expectInvalidToken(await meWith(pbes2), 'PBES2 p2c 2^31');
      const zip = `${enc({ alg: 'dir', enc: 'A256GCM', zip: 'DEF' })}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`;
      expectInvalidToken(await meWith(zip), 'zip DEF');
      expect(Date.now() - started, 'refused before any key derivation').toBeLessThan(2000);
    });
  });

  it('control: the untouched access token works at /graphql', async () => {
    const res = await meWith(normalTokens.access_token);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.me).toMatchObject({ sub: normal.id, clientId: app.clientId, user: { id: normal.id } });
  });
});
