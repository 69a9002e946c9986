/**
 * Dynamic Client Registration (RFC 7591) and its management (RFC 7592) over real HTTP, with an
 * injected clock, under each JWT_OIDC_REGISTRATION_POLICY (docs/SECURITY.md section X, DR-*):
 * off → 404; open → public clients only, rate-limited per address; initial-token → a bearer
 * token made by an administrator, spent once per registration even under a parallel burst and
 * dead at its expiry instant; metadata validated as `clients create` validates them; flags
 * smuggled in metadata ignored; a registration access token reaching only its own client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { adminUserTokens, gql, login, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

const clock = new ManualClock();
let off: TestProvider;
let open: TestProvider;
let gated: TestProvider;
let adminToken: string;
let user: { id: string; username: string; password: string };

beforeAll(async () => {
  [off, open, gated] = await Promise.all([
    startProvider(),
    startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open', JWT_OIDC_REGISTRATION_RATE_LIMIT: '1000' }, { clock, captureLogs: true }),
    startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'initial-token', JWT_OIDC_REGISTRATION_RATE_LIMIT: '1000' }, { clock, captureLogs: true }),
  ]);
  user = await open.createUser();
  adminToken = (await adminUserTokens(gated)).tokens.access_token;
});
afterAll(async () => {
  await Promise.all([off?.close(), open?.close(), gated?.close()]);
});

function register(p: TestProvider, metadata: unknown, token?: string): Promise<Response> {
  return fetch(`${p.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(metadata),
  });
}

function manage(uri: string, method: string, token: string | undefined, body?: unknown): Promise<Response> {
  return fetch(uri, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

type Registered = { client_id: string; client_secret?: string; registration_access_token: string; registration_client_uri: string; [k: string]: unknown };

async function registered(p: TestProvider, metadata: unknown, token?: string): Promise<Registered> {
  const res = await register(p, metadata, token);
  const body = (await res.json()) as Registered;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

async function initialToken(input: Record<string, number> = {}): Promise<string> {
  const { body } = await gql(gated, 'mutation($input: CreateInitialAccessTokenInput) { createInitialAccessToken(input: $input) { token expiresAt maxUses } }', { input }, adminToken);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data.createInitialAccessToken.token as string;
}

const clientRows = async (p: TestProvider): Promise<number> => (await p.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from clients'))[0]!.n;

const WEB = { client_name: 'Registered RP', redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none' };

describe('JWT_OIDC_REGISTRATION_POLICY=off (the default)', () => {
  it('DR-06: /register and /register/<id> answer 404; discovery names no registration_endpoint', async () => {
    expect((await register(off, WEB)).status).toBe(404);
    expect((await manage(`${off.issuer}/register/anything`, 'GET', 'x')).status).toBe(404);
    const discovery = (await (await fetch(`${off.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).not.toHaveProperty('registration_endpoint');
    const opened = (await (await fetch(`${open.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(opened.registration_endpoint).toBe(`${open.issuer}/register`);
  });
});

describe('open registration', () => {
  it('registers a public client (201, RFC 7591 §3.2.1 members) that then completes a code flow with PKCE', async () => {
    const res = await register(open, WEB);
    const body = (await res.json()) as Registered;
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({ client_name: 'Registered RP', redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], application_type: 'web' });
    expect(body.client_secret).toBeUndefined();
    expect(typeof body.client_id_issued_at).toBe('number');
    expect(body.registration_client_uri).toBe(`${open.issuer}/register/${body.client_id}`);
    expect(body.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(open.logs.some((l) => l.event === 'client.registered' && l.client === body.client_id)).toBe(true);

    const { location, verifier } = await login(open, { clientId: body.client_id, redirectUri: 'https://rp.example/cb', username: user.username });
    const code = location.searchParams.get('code');
    expect(code, location.toString()).toBeTruthy();
    const token = await tokenRequest(open, { grant_type: 'authorization_code', code: code!, redirect_uri: 'https://rp.example/cb', code_verifier: verifier! }, { clientId: body.client_id });
    expect(token.status).toBe(200);
  });

  it('a public client is the default there; a confidential one is refused (invalid_client_metadata)', async () => {
    const { client_secret, token_endpoint_auth_method } = await registered(open, { redirect_uris: ['https://rp.example/cb'] });
    expect(client_secret).toBeUndefined();
    expect(token_endpoint_auth_method).toBe('none');
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
      const res = await register(open, { ...WEB, token_endpoint_auth_method: method });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client_metadata');
    }
  });

  it('DR-02: javascript:, wildcard, fragment and credential redirect URIs are refused as invalid_redirect_uri, and nothing is stored', async () => {
    const before = await clientRows(open);
    for (const uri of ['javascript:alert(1)', 'https://*.rp.example/cb', 'https://rp.example/*', 'https://rp.example/cb#x', 'https://user:pw@rp.example/cb', 'data:text/html,x', 'cb', 'http://rp.example/cb']) {
      const res = await register(open, { ...WEB, redirect_uris: [uri] });
      const body = (await res.json()) as { error: string; error_description: string };
      expect(res.status, uri).toBe(400);
      expect(body.error, uri).toBe('invalid_redirect_uri');
      expect(body.error_description, uri).toMatch(/^redirect_uris:/);
    }
    const res = await register(open, { ...WEB, post_logout_redirect_uris: ['javascript:alert(1)'] });
    expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    expect(await clientRows(open)).toBe(before);
  });

  it('application_type: web takes https or loopback http (https off localhost with the implicit grant), never an app scheme; native takes an app scheme or loopback http (OIDC Registration §2)', async () => {
    const web = await registered(open, { ...WEB, redirect_uris: ['http://127.0.0.1:8123/cb', 'http://localhost:33418/callback'] });
    expect(web.application_type).toBe('web');
    for (const uri of ['com.example.app:/cb', 'http://rp.example/cb']) {
      const res = await register(open, { ...WEB, redirect_uris: [uri] });
      expect(res.status, uri).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    }
    for (const uri of ['http://127.0.0.1:8123/cb', 'https://localhost/cb']) {
      const res = await register(open, { ...WEB, grant_types: ['implicit'], response_types: ['id_token'], redirect_uris: [uri] });
      expect(res.status, uri).toBe(400);
      expect(((await res.json()) as { error_description: string }).error_description).toMatch(/implicit grant/);
    }
    const native = await registered(open, { ...WEB, application_type: 'native', redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1:8123/cb'] });
    expect(native.application_type).toBe('native');
    const res = await register(open, { ...WEB, application_type: 'desktop' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client_metadata');
  });

  it('refuses a body that is not a JSON object, and other metadata the client service refuses', async () => {
    const notJson = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris": [' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('invalid_client_metadata');
    const form = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'redirect_uris=https://rp.example/cb' });
    expect(form.status).toBe(400);
    for (const bad of [[], { ...WEB, grant_types: ['password'] }, { ...WEB, client_name: 7 }, { ...WEB, grant_types: ['client_credentials'] }, { ...WEB, logo_uri: 'http://rp.example/logo.png' }]) {
      const res = await register(open, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client_metadata');
    }
    expect((await fetch(`${open.issuer}/register`)).status).toBe(405);
  });

  it('DR-03: admin, first-party and other provider flags smuggled in the metadata are ignored', async () => {
    const body = await registered(open, { ...WEB, client_id: 'chosen-id', admin: true, first_party: true, firstParty: true, require_mfa: false, requireMfa: true, logoutAll: false, allowedOrigins: ['https://evil.example'], audiences: ['api'], backchannel_logout_uri: 'https://rp.example/bc', scope: 'openid admin' });
    expect(body.client_id).not.toBe('chosen-id');
    for (const key of ['admin', 'first_party', 'firstParty', 'requireMfa', 'allowedOrigins', 'audiences', 'backchannel_logout_uri']) expect(body).not.toHaveProperty(key);
    const [row] = await open.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>('select admin, first_party, require_mfa, logout_all, allowed_origins, audiences, backchannel_logout_uri from clients where id = ?', [body.client_id]);
    expect(row).toEqual({ admin: false, first_party: false, require_mfa: false, logout_all: true, allowed_origins: [], audiences: [], backchannel_logout_uri: null });
    expect((await open.provider!.clients.get(body.client_id))?.admin).toBe(false);
  });

  it('DR-01: a flood from one address is cut at JWT_OIDC_REGISTRATION_RATE_LIMIT per minute (429, Retry-After), refused attempts counted too', async () => {
    const limited = await startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open', JWT_OIDC_REGISTRATION_RATE_LIMIT: '3' }, { clock });
    try {
      const before = await clientRows(limited);
      expect((await register(limited, { ...WEB, redirect_uris: ['javascript:x'] })).status).toBe(400);
      const burst = await Promise.all(Array.from({ length: 10 }, () => register(limited, WEB)));
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(2);
      expect(statuses.filter((s) => s === 429)).toHaveLength(8);
      const refused = burst.find((r) => r.status === 429)!;
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_request');
      expect(await clientRows(limited)).toBe(before + 2);
      clock.advance(60_001);
      expect((await register(limited, WEB)).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});

describe('registration with an initial access token', () => {
  it('refuses a registration without a token, or with an unknown one: 401 invalid_token with WWW-Authenticate', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const res = await register(gated, WEB, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
    }
    expect(gated.logs.some((l) => l.event === 'client.registration_refused' && l.error === 'invalid_token')).toBe(true);
  });

  it('registers a confidential client (secret shown once, client_secret_expires_at 0) that then completes a code flow', async () => {
    const body = await registered(gated, { ...WEB, token_endpoint_auth_method: 'client_secret_basic' }, await initialToken());
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.client_secret_expires_at).toBe(0);
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic');
    const someone = await gated.createUser();
    const { location, verifier } = await login(gated, { clientId: body.client_id, redirectUri: 'https://rp.example/cb', username: someone.username });
    const res = await tokenRequest(gated, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'https://rp.example/cb', code_verifier: verifier! }, { clientId: body.client_id, clientSecret: body.client_secret! });
    expect(res.status).toBe(200);
  });

  it('DR-04: a token of maxUses 3 registers exactly 3 clients under a parallel burst of 12', async () => {
    const token = await initialToken({ maxUses: 3 });
    const before = await clientRows(gated);
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => register(gated, { ...WEB, client_name: `burst ${i}` }, token)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
    expect(await clientRows(gated)).toBe(before + 3);
    expect((await register(gated, WEB, token)).status).toBe(401);
  });

  it('DR-04: a registration refused for its metadata does not spend a use', async () => {
    const token = await initialToken({ maxUses: 1 });
    expect((await register(gated, { ...WEB, redirect_uris: ['javascript:x'] }, token)).status).toBe(400);
    expect((await register(gated, WEB, token)).status).toBe(201);
    expect((await register(gated, WEB, token)).status).toBe(401);
  });

  it('DR-04: the token works until the last millisecond before its expiry, not at it', async () => {
    const start = clock.now();
    const token = await initialToken({ expiresIn: 60, maxUses: 5 });
    clock.set(start + 59_999);
    expect((await register(gated, WEB, token)).status).toBe(201);
    clock.set(start + 60_000);
    expect((await register(gated, WEB, token)).status).toBe(401);
  });

  it('createInitialAccessToken: administrators only; bounds checked', async () => {
    const anonymous = await gql(gated, 'mutation { createInitialAccessToken { token } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    for (const input of [{ maxUses: 0 }, { expiresIn: 0 }, { expiresIn: 31 * 86_400 }]) {
      const { body } = await gql(gated, 'mutation($input: CreateInitialAccessTokenInput) { createInitialAccessToken(input: $input) { token } }', { input }, adminToken);
      expect(body.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    const { body } = await gql(gated, 'mutation { createInitialAccessToken { token expiresAt maxUses } }', undefined, adminToken);
    expect(body.data.createInitialAccessToken.maxUses).toBe(1);
    expect(new Date(body.data.createInitialAccessToken.expiresAt).getTime()).toBe(clock.now() + 86_400_000);
    const [row] = await gated.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from initial_access_tokens where token_hash = ?', [body.data.createInitialAccessToken.token]);
    expect(row!.n, 'only the digest is stored').toBe(0);
  });
});

describe('client configuration (RFC 7592)', () => {
  it('reads, replaces and deletes the client with its registration access token', async () => {
    const client = await registered(open, WEB);
    const read = await manage(client.registration_client_uri, 'GET', client.registration_access_token);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: client.client_id, redirect_uris: ['https://rp.example/cb'], registration_access_token: client.registration_access_token });

    const put = await manage(client.registration_client_uri, 'PUT', client.registration_access_token, { client_id: client.client_id, client_name: 'Renamed', redirect_uris: ['https://rp.example/other'], token_endpoint_auth_method: 'none' });
    const replaced = (await put.json()) as Registered;
    expect(put.status, JSON.stringify(replaced)).toBe(200);
    expect(replaced).toMatchObject({ client_name: 'Renamed', redirect_uris: ['https://rp.example/other'] });
    expect((await open.provider!.clients.get(client.client_id))?.redirectUris).toEqual(['https://rp.example/other']);
    expect(open.logs.some((l) => l.event === 'client.registration_updated' && l.client === client.client_id)).toBe(true);

    const del = await manage(client.registration_client_uri, 'DELETE', client.registration_access_token);
    expect(del.status).toBe(204);
    expect(await open.provider!.clients.get(client.client_id)).toBeUndefined();
    expect((await manage(client.registration_client_uri, 'GET', client.registration_access_token)).status).toBe(401);
  });

  it('DR-03: PUT: the client_id must match; the secret cannot be changed; metadata are validated as at registration; flags stay ignored', async () => {
    const client = await registered(gated, { ...WEB, token_endpoint_auth_method: 'client_secret_basic' }, await initialToken());
    const put = (body: Record<string, unknown>) => manage(client.registration_client_uri, 'PUT', client.registration_access_token, body);
    const replace = { ...WEB, token_endpoint_auth_method: 'client_secret_basic', client_id: client.client_id };
    expect((await put({ ...replace, client_id: 'another' })).status).toBe(400);
    expect((await put({ ...replace, client_secret: 'chosen-by-the-client' })).status).toBe(400);
    expect((await put({ ...replace, client_secret: client.client_secret })).status).toBe(200);
    const bad = await put({ ...replace, redirect_uris: ['https://rp.example/*'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    const flags = await put({ ...replace, admin: true, first_party: true });
    expect(flags.status).toBe(200);
    expect(await gated.provider!.clients.get(client.client_id)).toMatchObject({ admin: false, firstParty: false });
  });

  it('DR-05: another client\'s registration access token, an unknown client and an administrator\'s client all answer the same 401', async () => {
    const mine = await registered(open, WEB);
    const theirs = await registered(open, WEB);
    const adminMade = await open.createClient({ name: 'Made by an administrator', redirectUris: ['https://rp.example/cb'] });
    const answers = await Promise.all([
      manage(mine.registration_client_uri, 'GET', theirs.registration_access_token),
      manage(mine.registration_client_uri, 'DELETE', theirs.registration_access_token),
      manage(mine.registration_client_uri, 'PUT', theirs.registration_access_token, { ...WEB, client_id: mine.client_id }),
      manage(mine.registration_client_uri, 'GET', undefined),
      manage(`${open.issuer}/register/no-such-client`, 'GET', theirs.registration_access_token),
      manage(`${open.issuer}/register/${adminMade.clientId}`, 'GET', theirs.registration_access_token),
      manage(`${open.issuer}/register/${adminMade.clientId}`, 'DELETE', mine.registration_access_token),
    ]);
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, auth: r.headers.get('www-authenticate'), body: await r.text() })));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]!.status).toBe(401);
    expect(JSON.parse(bodies[0]!.body).error).toBe('invalid_token');
    expect(await open.provider!.clients.get(mine.client_id)).toBeDefined();
    expect(await open.provider!.clients.get(adminMade.clientId)).toBeDefined();
  });
});
