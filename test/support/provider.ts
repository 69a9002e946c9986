/**
 * A provider on loopback with users and clients, and the moves of a browser and of a relying
 * party against it: a cookie jar, the login form, consent, the code exchange. Plus a snapshot of
 * the database for "nothing persisted" (∅DB) assertions.
 */
import type { Clock } from '../../src/clock.js';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { ClientService, type CreateClientInput } from '../../src/clients/client-service.js';
import { UserService, type CreateUserInput } from '../../src/users/user-service.js';
import { startTestServer, type TestServer } from './server.js';

export const PASSWORD = 'correct horse battery staple';

/**
 * The mode `startProvider` runs: the provider, or the fake mode — the same provider with the
 * fake's login step — for the suites that must hold in both (test/integration/fake-mode.test.ts
 * sets it before loading them). In the fake mode a user's id is its username, the subject
 * the fake's page signs in as, and `throughLoginPages` signs in on that page.
 */
export const TEST_MODE: 'provider' | 'fake' = process.env.JWT_OIDC_TEST_MODE === 'fake' ? 'fake' : 'provider';

export interface TestProvider extends TestServer {
  issuer: string;
  createUser(input?: Partial<CreateUserInput>): Promise<{ id: string; username: string; password: string }>;
  createClient(input?: Partial<CreateClientInput>): Promise<{ clientId: string; clientSecret?: string; redirectUri: string }>;
}

/** The settings of TEST_MODE: none for the provider; the fake's client and its own data directory. */
export function modeEnv(): Record<string, string> {
  // With DATABASE_URL and the key secret given, nothing is written to the data directory: it is
  // named only so that the checkout's own .data/fake is never touched.
  return TEST_MODE === 'fake' ? { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'fake-spa', JWT_OIDC_DATA_DIR: join(tmpdir(), 'jwt-oidc-fake-mode-unused') } : {};
}

/** The key encryption secret of every test provider. */
const KEY_SECRET = 't'.repeat(40);

/** A provider with the default test settings; `env` adds or overrides settings. */
export async function startProvider(env: Record<string, string> = {}, options: { captureLogs?: boolean; clock?: Clock; consoleDir?: string } = {}): Promise<TestProvider> {
  // Address throttling is generous by default: every test client comes from 127.0.0.1. Tests
  // of throttling set their own limits.
  const server = await startTestServer({ JWT_OIDC_KEY_ENCRYPTION_SECRET: KEY_SECRET, JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10000', ...modeEnv(), ...env }, options);
  return asTestProvider(server);
}

/**
 * A provider and a second instance on its database, with the same issuer and key secret: what
 * two instances behind one load balancer are. `options` (a clock…) are the first instance's.
 */
export async function startPair(env: Record<string, string> = {}, options: { captureLogs?: boolean; clock?: Clock } = {}): Promise<[TestProvider, TestProvider]> {
  const first = await startProvider(env, options);
  try {
    return [first, await startInstanceOf(first, env)];
  } catch (e) {
    await first.close();
    throw e;
  }
}

/** Another instance on `first`'s database, with its issuer and key secret; `env` adds or overrides settings. */
export async function startInstanceOf(first: TestProvider, env: Record<string, string> = {}, options: { consoleDir?: string } = {}): Promise<TestProvider> {
  const server = await startTestServer({ JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10000', ...modeEnv(), ...env, DATABASE_URL: first.databaseUrl, JWT_OIDC_ISSUER: first.issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: KEY_SECRET }, options);
  return asTestProvider(server);
}

/** A running provider with the helpers that register users and clients in its database. */
export function asTestProvider(server: TestServer): TestProvider {
  const ctx = server.provider!;
  const users = new UserService(server.db.orm.em);
  const clients = new ClientService(server.db.orm.em, () => ctx.clients.changed(), async () => ctx.keys.encryption);
  let n = 0;
  return {
    ...server,
    issuer: ctx.issuer,
    async createUser(input = {}) {
      const username = input.username ?? `user${++n}-${randomBytes(3).toString('hex')}`;
      const password = input.password ?? PASSWORD;
      const user = await users.create({ email: `${username}@example.com`, ...input, username, password });
      if (server.settings.type !== 'fake') return { id: user.id, username: user.username, password };
      // The identity the fake's page would have made: the subject is the id (and the foreign keys follow).
      await server.db.orm.em.fork().getConnection().execute('update users set id = username where id = ?', [user.id]);
      return { id: user.username, username: user.username, password };
    },
    async createClient(input = {}) {
      const redirectUri = input.redirectUris?.[0] ?? 'https://rp.example/cb';
      const { client, secret } = await clients.create({ name: 'Test RP', redirectUris: [redirectUri], ...input });
      return { clientId: client.id, clientSecret: secret, redirectUri };
    },
  };
}

export { CookieJar } from './cookie-jar.js';
import { CookieJar } from './cookie-jar.js';

/** The fake provider's login form for an authorization URL, filled in and posted; returns the redirect. */
export async function fakeSignIn(jar: CookieJar, authorizeUrl: string, fields: Record<string, string>): Promise<URL> {
  const { html, url } = await fakeLoginPage(jar, authorizeUrl);
  const action = /<form method="post" action="([^"]+)">/.exec(html)![1]!.replace(/&amp;/g, '&');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const res = await browse(jar, new URL(action, url).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, ...fields }),
  });
  expect(res.status, await res.clone().text()).toBe(303);
  return new URL(res.headers.get('location')!);
}

/** The fake mode's login page of an authorization request: the provider's redirect to its interaction, followed. */
export async function fakeLoginPage(jar: CookieJar, authorizeUrl: string): Promise<{ html: string; url: string }> {
  const started = await browse(jar, authorizeUrl);
  expect(started.status, await started.clone().text()).toBe(303);
  const url = new URL(started.headers.get('location')!, authorizeUrl).toString();
  const page = await browse(jar, url);
  const html = await page.text();
  expect(page.status, html.slice(0, 500)).toBe(200);
  return { html, url };
}

/** A browser request: the jar's cookies, no automatic redirects. */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.cookies.size) headers.set('cookie', jar.header());
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

export function postForm(jar: CookieJar, url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return browse(jar, url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
}

/** The form of a page: its action and CSRF token. */
export function formOf(html: string): { action: string; csrf: string } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !csrf) throw new Error(`no form on the page:\n${html.slice(0, 500)}`);
  return { action, csrf };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(p: TestProvider, params: Record<string, string | undefined>): string {
  const url = new URL(`${p.issuer}/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}

export interface LoginOptions {
  clientId: string;
  redirectUri: string;
  username: string;
  password?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  challenge?: string | null;
  extra?: Record<string, string>;
  consent?: 'allow' | 'deny';
  jar?: CookieJar;
}

/**
 * A user logs in through the real pages and consents (when asked); returns where the browser
 * was finally sent (the client's redirect URI with code or error).
 */
export async function login(p: TestProvider, o: LoginOptions): Promise<{ location: URL; jar: CookieJar; verifier?: string }> {
  const jar = o.jar ?? new CookieJar();
  const pkce = o.challenge === undefined ? pkcePair() : undefined;
  const params = {
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    scope: o.scope ?? 'openid profile email',
    state: o.state ?? 'state-123',
    nonce: o.nonce,
    code_challenge: o.challenge === undefined ? pkce!.challenge : (o.challenge ?? undefined),
    code_challenge_method: o.challenge === null ? undefined : 'S256',
    ...o.extra,
  };
  const location = await throughLoginPages(jar, authorizeUrl(p, params), o);
  return { location, jar, verifier: pkce?.verifier };
}

/**
 * A browser at an authorization URL of the provider: follows its redirects, fills the login form
 * and answers consent, until the provider sends the browser elsewhere; returns where.
 */
export async function throughLoginPages(jar: CookieJar, url: string, o: Pick<LoginOptions, 'username' | 'password' | 'consent'>): Promise<URL> {
  let res = await browse(jar, url);
  for (let hops = 0; hops < 6; hops++) {
    expect([302, 303]).toContain(res.status);
    const location = new URL(res.headers.get('location')!, url);
    if (!location.pathname.includes('/interaction/')) return location;
    res = await browse(jar, location.toString());
    // Nothing left to ask (consent given meanwhile, in another browser): on to the client.
    if (res.status === 302 || res.status === 303) continue;
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    const { action, csrf } = formOf(html);
    res = action.endsWith('/login')
      ? await postForm(jar, new URL(action, location).toString(), signInFields(html, csrf, o.username, o.password))
      : await postForm(jar, new URL(action, location).toString(), { csrf, decision: o.consent ?? 'allow' });
  }
  throw new Error('too many redirects');
}

/**
 * What a person posts on the login page `html`: the password form's username and password, or,
 * on the fake mode's page, a click on the user's identity (its subject is its username there).
 */
export function signInFields(html: string, csrf: string, username: string, password = PASSWORD): Record<string, string> {
  return html.includes('name="sub"') ? { csrf, identity: username } : { csrf, username, password };
}

/** The token request of a confidential client (client_secret_basic) or a public one. */
export function tokenRequest(p: TestProvider, fields: Record<string, string>, auth?: { clientId: string; clientSecret?: string }, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  const body = new URLSearchParams(fields);
  if (auth?.clientSecret !== undefined) {
    const enc = (v: string) => encodeURIComponent(v);
    h.authorization = `Basic ${Buffer.from(`${enc(auth.clientId)}:${enc(auth.clientSecret)}`).toString('base64')}`;
  } else if (auth) {
    body.set('client_id', auth.clientId);
  }
  return fetch(`${p.issuer}/token`, { method: 'POST', headers: h, body });
}

/** Logs in and redeems the code: a full token set for `client`. */
export async function tokensFor(p: TestProvider, client: { clientId: string; clientSecret?: string; redirectUri: string }, user: { username: string; password?: string }, scope = 'openid profile email offline_access') {
  const { location, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, password: user.password, scope, nonce: 'n-0S6_WzA2Mj' });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  const res = await tokenRequest(p, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier! }, client);
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token?: string; id_token?: string; scope: string; expires_in: number; token_type: string };
}

const SNAPSHOT_TABLES = ['users', 'clients', 'resources', 'sessions', 'interactions', 'grants', 'authorization_codes', 'refresh_tokens', 'consents', 'signing_keys'];

/** Every row of the provider's tables, as text: equal snapshots mean nothing was written. */
export async function dbSnapshot(p: Pick<TestServer, 'databaseUrl'>): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: p.databaseUrl });
  await client.connect();
  try {
    const snapshot: Record<string, string[]> = {};
    for (const table of SNAPSHOT_TABLES) {
      const { rows } = await client.query(`select row_to_json(t)::text as r from ${table} t`);
      snapshot[table] = rows.map((r: { r: string }) => r.r).sort();
    }
    return snapshot;
  } finally {
    await client.end();
  }
}

/** ∅DB: runs `fn` and asserts that no row of the provider's tables was created or changed. */
export async function expectNothingPersisted<T>(p: Pick<TestServer, 'databaseUrl'>, fn: () => Promise<T>): Promise<T> {
  const before = await dbSnapshot(p);
  const result = await fn();
  expect(await dbSnapshot(p), 'the request must not write to the database').toEqual(before);
  return result;
}

/** A client_credentials access token. */
export async function clientToken(p: TestProvider, client: { clientId: string; clientSecret?: string }, scope = ''): Promise<string> {
  const res = await tokenRequest(p, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, client);
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`client_credentials failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** An administrator's tokens: an admin user through a first-party client, with the admin scope. */
export async function adminUserTokens(p: TestProvider) {
  const admin = await p.createUser({ admin: true });
  const console = await p.createClient({ name: 'Admin console', firstParty: true });
  return { user: admin, client: console, tokens: await tokensFor(p, console, admin, 'openid profile admin') };
}

/** POST /graphql as a JSON client would, with a bearer token when given. */
export async function gql(p: Pick<TestServer, 'url'>, query: string, variables?: Record<string, unknown>, token?: string) {
  const res = await fetch(`${p.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : {}) as { data?: any; errors?: any } };
}
