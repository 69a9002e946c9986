/**
 * The provider's second part, functionally: delegated login through a tiny login app, back-channel
 * logout, housekeeping, the per-client extras, and account selection.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { User } from '../../src/db/entities/user.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/database.js';
import { authorizeUrl, browse, clientToken, CookieJar, formOf, gql, login, pkcePair, postForm, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

function listen(handler: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string } | Promise<{ status: number; headers?: Record<string, string>; body?: string }>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const out = await handler(req, body);
      res.writeHead(out.status, out.headers).end(out.body ?? '');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

async function eventually<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('delegated login (LOGIN_URL)', () => {
  let provider: TestProvider;
  let app: { server: Server; url: string };
  let adminToken = '';
  const seen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // The login app: reads the request over GraphQL, "authenticates" the user named in the
    // query string (?as=<user id> or ?refuse=1), answers, and sends the browser on.
    app = await listen(async (req) => {
      const url = new URL(req.url!, 'http://x');
      const challenge = url.searchParams.get('login_challenge')!;
      const info = await gql(provider, 'query($c: String!) { loginRequest(challenge: $c) { challenge requestedScopes loginHint client { id name } } }', { c: challenge }, adminToken);
      seen.push(info.body.data.loginRequest);
      const answer = url.searchParams.get('refuse')
        ? await gql(provider, 'mutation($c: String!) { rejectLoginRequest(challenge: $c, error: "access_denied", errorDescription: "not today") }', { c: challenge }, adminToken)
        : await gql(provider, 'mutation($c: String!, $s: ID!) { acceptLoginRequest(challenge: $c, subject: $s, acr: "urn:example:mfa", amr: ["pwd", "otp"]) }', { c: challenge, s: url.searchParams.get('as') }, adminToken);
      const to = answer.body.data?.acceptLoginRequest ?? answer.body.data?.rejectLoginRequest;
      return to ? { status: 303, headers: { location: to } } : { status: 500, body: JSON.stringify(answer.body) };
    });
    provider = await startProvider({ JWT_OIDC_LOGIN_URL: `${app.url}/login` });
    const automation = await provider.createClient({ admin: true, grantTypes: ['client_credentials'] });
    adminToken = await clientToken(provider, automation, 'admin');
  });
  afterAll(async () => {
    await provider?.close();
    app?.server.close();
  });

  /** Follows a browser through the provider and the login app until it reaches the client. */
  async function through(jar: CookieJar, start: string, as: Record<string, string>): Promise<URL> {
    let res = await browse(jar, start);
    for (let hops = 0; hops < 8; hops++) {
      const to = new URL(res.headers.get('location')!);
      if (to.origin === new URL(app.url).origin) for (const [k, v] of Object.entries(as)) to.searchParams.set(k, v);
      if (to.hostname === 'rp.example') return to;
      res = await browse(jar, to.toString());
      if (res.status === 200) {
        const { action, csrf } = formOf(await res.text());
        res = await postForm(jar, action, { csrf, decision: 'allow' });
      }
    }
    throw new Error('too many hops');
  }

  it('sends the browser to the login app with a challenge; accepting logs the user in with the app\'s acr and amr', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true });
    const { verifier, challenge } = pkcePair();
    const jar = new CookieJar();
    const landed = await through(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile', login_hint: 'someone', nonce: 'nn', code_challenge: challenge, code_challenge_method: 'S256' }), { as: user.id });
    expect(seen.at(-1)).toMatchObject({ requestedScopes: ['openid', 'profile'], loginHint: 'someone', client: { id: rp.clientId } });
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: landed.searchParams.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp);
    const idToken = decodeJwt((await res.json()).id_token);
    expect(idToken).toMatchObject({ sub: user.id, acr: 'urn:example:mfa', amr: ['pwd', 'otp'] });
    // The provider session now exists: prompt=none works without the login app.
    const again = await browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('a refusal reaches the client as its error; a challenge is answered once', async () => {
    const rp = await provider.createClient({ firstParty: true });
    const jar = new CookieJar();
    const landed = await through(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), { refuse: '1' });
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('error_description')).toBe('not today');
    expect(landed.searchParams.get('state')).toBe('st');
    const challenge = (seen.at(-1) as { challenge: string }).challenge;
    const twice = await gql(provider, 'mutation($c: String!) { rejectLoginRequest(challenge: $c) }', { c: challenge }, adminToken);
    expect(twice.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await gql(provider, 'query($c: String!) { loginRequest(challenge: $c) { challenge } }', { c: challenge }, adminToken)).body.data.loginRequest).toBeNull();
  });

  it('RG-02 refuses to sign in a self-registered account whose address is not confirmed yet', async () => {
    const user = await provider.createUser();
    await provider.provider!.orm.em.fork().nativeUpdate(User, { id: user.id }, { pendingVerification: true });
    const rp = await provider.createClient({ firstParty: true });
    const started = await browse(new CookieJar(), authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const challenge = new URL(started.headers.get('location')!).searchParams.get('login_challenge')!;
    const answer = await gql(provider, 'mutation($c: String!, $s: ID!) { acceptLoginRequest(challenge: $c, subject: $s) }', { c: challenge, s: user.id }, adminToken);
    expect(answer.body.errors[0]).toMatchObject({ message: 'subject: this user has not confirmed their email address yet', extensions: { code: 'BAD_USER_INPUT', field: 'subject' } });
    // Once confirmed, the same challenge is answered.
    await provider.provider!.orm.em.fork().nativeUpdate(User, { id: user.id }, { pendingVerification: false });
    const ok = await gql(provider, 'mutation($c: String!, $s: ID!) { acceptLoginRequest(challenge: $c, subject: $s) }', { c: challenge, s: user.id }, adminToken);
    expect(ok.body.data.acceptLoginRequest).toContain(`/interaction/${challenge}`);
  });

  it('only administrators may read or answer challenges', async () => {
    const res = await gql(provider, 'query { loginRequest(challenge: "AAAAAAAAAAAAAAAAAAAAAA") { challenge } }');
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('back-channel logout', () => {
  let provider: TestProvider;
  let rpApp: { server: Server; url: string };
  const received: string[] = [];
  let failures = 0;

  beforeAll(async () => {
    rpApp = await listen((req, body) => {
      if (failures > 0) {
        failures--;
        return { status: 503 };
      }
      received.push(new URLSearchParams(body).get('logout_token')!);
      return { status: 200 };
    });
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider?.close();
    rpApp?.server.close();
  });

  it('POSTs a signed logout token with events, sid and sub (no nonce) when the session ends, retrying after a failure', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true, logoutAll: true, backchannelLogoutUri: `${rpApp.url}/backchannel`, postLogoutRedirectUris: ['https://rp.example/bye'] });
    const jar = new CookieJar();
    await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, jar });
    const sessionIdToken = await idTokenOfJar(provider, rp, jar);
    const sessionSid = decodeJwt(sessionIdToken).sid as string;
    failures = 1; // the first delivery fails: the provider retries
    const logout = await browse(jar, `${provider.issuer}/session/end?${new URLSearchParams({ id_token_hint: sessionIdToken, post_logout_redirect_uri: 'https://rp.example/bye' })}`);
    expect(logout.status).toBe(303);

    const token = await eventually(() => received.find((t) => decodeJwt(t).sid === sessionSid), 15_000);
    const jwks = createLocalJWKSet(JSON.parse(provider.provider!.keys.jwks().body) as JSONWebKeySet);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: provider.issuer, audience: rp.clientId, typ: 'logout+jwt' });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: user.id, sid: sessionSid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload.nonce).toBeUndefined();
    expect(failures).toBe(0); // the failed first attempt happened, then the retry succeeded
  }, 30_000);
});

/** An ID token for the session of `jar` (a fresh code, redeemed). */
async function idTokenOfJar(provider: TestProvider, rp: { clientId: string; clientSecret?: string; redirectUri: string }, jar: CookieJar): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const res = await browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' }));
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  const tokens = await (await tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp)).json();
  return tokens.id_token;
}

describe('housekeeping, per-client extras, account selection', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider?.close());

  it('housekeeping deletes expired rows in batches and keeps live ones', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient();
    await tokensFor(provider, rp, user); // a live grant, session, refresh token
    await tokensFor(provider, rp, user);
    const url = provider.databaseUrl;
    const before = await query<{ n: number }>(url, 'select count(*)::int as n from grants');
    // Age one grant (and its tokens) past its life, plus an old revocation entry.
    await query(url, `update grants set expires_at = now() - interval '1 hour' where id = (select id from grants order by created_at limit 1)`);
    await query(url, `insert into revoked_tokens (jti, expires_at) values ('old-jti', now() - interval '1 minute'), ('live-jti', now() + interval '1 hour')`);
    await query(url, `update sessions set expires_at = now() - interval '1 minute' where id_hash = (select id_hash from sessions order by created_at limit 1)`);
    const deleted = await provider.housekeeping!.run();
    expect(deleted).toMatchObject({ grants: 1, revoked_tokens: 1, sessions: 1 });
    expect((await query<{ n: number }>(url, 'select count(*)::int as n from grants'))[0]!.n).toBe(before[0]!.n - 1);
    expect(await query(url, `select jti from revoked_tokens`)).toEqual([{ jti: 'live-jti' }]);
    expect(await provider.housekeeping!.run()).toEqual({});
  });

  it('adds the client\'s extra ID-token claims only with their scope', async () => {
    const user = await provider.createUser({ givenName: 'Nina', locale: 'fr-FR' });
    const rp = await provider.createClient({ extraIdTokenClaims: { nick: { field: 'givenName', scope: 'profile' }, lang: { field: 'locale', scope: 'phone' } } });
    const withProfile = decodeJwt((await tokensFor(provider, rp, user, 'openid profile')).id_token!);
    expect(withProfile).toMatchObject({ nick: 'Nina' });
    expect(withProfile.lang).toBeUndefined();
    const withoutProfile = decodeJwt((await tokensFor(provider, rp, user, 'openid')).id_token!);
    expect(withoutProfile.nick).toBeUndefined();
  });

  it('refuses restricted users with access_denied, after they log in', async () => {
    const barred = await provider.createUser({ email: 'intern@example.com' });
    const fine = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true, userRestrictions: [{ field: 'email', equals: 'INTERN@example.com' }] });
    const refused = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: barred.username });
    expect(refused.location.searchParams.get('error')).toBe('access_denied');
    expect(refused.location.searchParams.get('code')).toBeNull();
    const allowed = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: fine.username });
    expect(allowed.location.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=select_account offers to continue as the logged-in user or to switch', async () => {
    const alice = await provider.createUser();
    const bob = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true });
    const { jar } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: alice.username });
    const start = () => browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', prompt: 'select_account', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));

    let res = await browse(jar, (await start()).headers.get('location')!);
    let html = await res.text();
    expect(html).toContain(`Continue as ${alice.username}`);
    let form = formOf(html);
    res = await postForm(jar, form.action, { csrf: form.csrf, decision: 'continue' });
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();

    res = await browse(jar, (await start()).headers.get('location')!);
    form = formOf(await res.text());
    res = await postForm(jar, form.action, { csrf: form.csrf, decision: 'switch' });
    res = await browse(jar, res.headers.get('location')!);
    html = await res.text();
    expect(html).toContain('name="password"');
    form = formOf(html);
    res = await postForm(jar, form.action, { csrf: form.csrf, username: bob.username, password: bob.password });
    const code = new URL(res.headers.get('location')!).searchParams.get('code');
    expect(code).toBeTruthy();
  });
});
