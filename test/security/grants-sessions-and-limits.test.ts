/**
 * Security round 2 (docs/SECURITY.md section J): holes found by trying the running service as an
 * attacker would, each a regression test named after its row.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { query } from '../support/database.js';
import { SCOPE_OF_CLAIM } from '../../src/provider/claims.js';
import { authorizeUrl, browse, CookieJar, formOf, gql, login, PASSWORD, pkcePair, postForm, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

const sessions = async (p: TestProvider, userId: string) =>
  Number((await query<{ n: string }>(p.databaseUrl, 'select count(*) as n from sessions where user_id = $1', [userId]))[0]!.n);

describe('RC-04: with a login app, the built-in login form stays closed', () => {
  const LOGIN_APP = 'http://127.0.0.1:9/login'; // never followed: the test plays the browser
  let p: TestProvider;
  let open: TestProvider;
  beforeAll(async () => {
    [p, open] = await Promise.all([startProvider({ JWT_OIDC_LOGIN_URL: LOGIN_APP }), startProvider({ JWT_OIDC_LOGIN_URL: LOGIN_APP, JWT_OIDC_BUILT_IN_LOGIN: 'true' })]);
  });
  afterAll(async () => {
    await p?.close();
    await open?.close();
  });

  /** A browser at /authorize: the interaction's uid and cookie, and where it was sent. */
  async function begin(on: TestProvider, jar: CookieJar, client: { clientId: string; redirectUri: string }, params: Record<string, string> = {}) {
    const res = await browse(jar, authorizeUrl(on, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...params }));
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    const uid = location.searchParams.get('login_challenge') ?? /\/interaction\/([\w-]+)/.exec(location.pathname)?.[1];
    return { location, uid: uid! };
  }

  it('RC-04 /interaction/<uid> opened by hand sends the browser to the login app: no password form', async () => {
    const client = await p.createClient({ firstParty: true });
    const jar = new CookieJar();
    const { location, uid } = await begin(p, jar, client);
    expect(location.toString()).toBe(`${LOGIN_APP}?login_challenge=${uid}`);
    const page = await browse(jar, `${p.issuer}/interaction/${uid}`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`${LOGIN_APP}?login_challenge=${uid}`);
    expect(await page.text()).not.toMatch(/type="password"/);
  });

  it('RC-04 a form token obtained from the account-selection page does not open the password check: 403, no session', async () => {
    const client = await p.createClient({ firstParty: true });
    const victim = await p.createUser();
    const other = await p.createUser();
    // A browser with a provider session (of `other`, made directly in the store) on the account-selection page.
    const jar = new CookieJar();
    const { cookieValue } = await p.provider!.sessions.create(other.id, 3600_000, ['pwd']);
    jar.cookies.set(p.provider!.cookies.session, cookieValue);
    const { uid } = await begin(p, jar, client, { prompt: 'select_account' });
    const select = await browse(jar, `${p.issuer}/interaction/${uid}`);
    expect(select.status).toBe(200);
    const { csrf } = formOf(await select.text());
    const res = await postForm(jar, `${p.issuer}/interaction/${uid}/login`, { csrf, username: victim.username, password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(await sessions(p, victim.id)).toBe(0);
  });

  it('RC-04 JWT_OIDC_BUILT_IN_LOGIN=true opens the built-in form beside the login app (amr pwd)', async () => {
    const client = await open.createClient({ firstParty: true });
    const user = await open.createUser();
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const { uid } = await begin(open, jar, client, { code_challenge: challenge });
    const page = await browse(jar, `${open.issuer}/interaction/${uid}`);
    expect(page.status).toBe(200);
    const { action, csrf } = formOf(await page.text());
    const res = await postForm(jar, action, { csrf, username: user.username, password: PASSWORD });
    expect(res.status).toBe(303);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const token = await fetch(`${open.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
    });
    expect(decodeJwt(((await token.json()) as { id_token: string }).id_token).amr).toEqual(['pwd']);
  });
});

describe('RC-08: a grant lives as long as the tokens it issued', () => {
  const ACCESS = 600; // JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME
  const TOLERANCE = 5; // the verifier's clock tolerance
  let p: TestProvider;
  const clock = new ManualClock();
  beforeAll(async () => {
    p = await startProvider({ JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: String(ACCESS), JWT_OIDC_AUTHORIZATION_CODE_EXPIRATION_TIME: '60' }, { clock });
  });
  afterAll(() => p?.close());

  const userinfo = (token: string) => fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  it('RC-08 a client allowed only authorization_code: its access token works until its own exp, not the code\'s', async () => {
    const client = await p.createClient({ firstParty: true, grantTypes: ['authorization_code'] });
    const user = await p.createUser();
    const issuedAt = clock.now();
    const tokens = await tokensFor(p, client, user, 'openid profile');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.expires_in).toBe(ACCESS);
    for (const at of [61, 65, ACCESS - 1, ACCESS + TOLERANCE - 1]) {
      clock.set(issuedAt + at * 1000);
      const res = await userinfo(tokens.access_token);
      expect(res.status, `${at} s after issue: ${await res.clone().text()}`).toBe(200);
    }
    clock.set(issuedAt + (ACCESS + TOLERANCE + 1) * 1000);
    expect((await userinfo(tokens.access_token)).status, 'past exp and the tolerance').toBe(401);
  });

  it('RC-08 hybrid `code token`: the token from /authorize lives to its exp even if the code is never redeemed', async () => {
    const client = await p.createClient({ firstParty: true, grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code token'] });
    const user = await p.createUser();
    const jar = new CookieJar();
    const start = clock.now();
    const res = await browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code token', scope: 'openid', nonce: 'n1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const page = await browse(jar, res.headers.get('location')!);
    const { action, csrf } = formOf(await page.text());
    const done = await postForm(jar, action, { csrf, username: user.username, password: PASSWORD });
    expect(done.status).toBe(303);
    const fragment = new URLSearchParams(new URL(done.headers.get('location')!).hash.slice(1));
    const token = fragment.get('access_token')!;
    expect(token, done.headers.get('location')!).toBeTruthy();
    clock.set(start + 120_000); // the code (60 s) is long gone, never redeemed
    expect((await userinfo(token)).status).toBe(200);
    clock.set(start + (ACCESS + TOLERANCE + 1) * 1000);
    expect((await userinfo(token)).status).toBe(401);
  });
});

describe('RC-13: signing out at an application signs out at the provider', () => {
  const BYE = 'https://rp.example/bye';
  let p: TestProvider;
  beforeAll(async () => {
    p = await startProvider();
  });
  afterAll(() => p?.close());

  /** A signed-in browser and the ID token its client received. */
  async function signedIn(client: { clientId: string; clientSecret?: string; redirectUri: string }) {
    const user = await p.createUser();
    const { location, jar, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, nonce: 'n' });
    const res = await tokenRequest(p, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: client.redirectUri, code_verifier: verifier! }, client);
    const { id_token } = (await res.json()) as { id_token: string };
    return { user, jar, idToken: id_token };
  }

  const silently = (jar: CookieJar, client: { clientId: string; redirectUri: string }) =>
    browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));

  it('RC-13 a client registered with the defaults: logout with a valid id_token_hint ends the provider session; the next sign-in asks again', async () => {
    const client = await p.createClient({ firstParty: true, postLogoutRedirectUris: [BYE] });
    const other = await p.createClient({ firstParty: true });
    const { jar, idToken, user } = await signedIn(client);
    const out = await browse(jar, `${p.issuer}/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 's1' })}`);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${BYE}?state=s1`);
    for (const rp of [client, other]) {
      const again = await silently(jar, rp);
      expect(new URL(again.headers.get('location')!).searchParams.get('error'), 'no silent sign-in anywhere').toBe('login_required');
    }
    expect(Number((await query<{ n: string }>(p.databaseUrl, 'select count(*) as n from sessions where user_id = $1', [user.id]))[0]!.n)).toBe(0);
  });

  it('RC-13 the confirmation page says what ends: the account for a default client, only the application for one that opted out', async () => {
    const whole = await p.createClient({ name: 'Default App', firstParty: true });
    const own = await p.createClient({ name: 'Opted Out App', firstParty: true, logoutAll: false });
    for (const [client, expected, after] of [
      [whole, /signed out of your account here, and of every application/, /signed out of your account and its applications/],
      [own, /Only <strong>Opted Out App<\/strong> will be signed out/, /signed out of <strong>Opted Out App<\/strong>; you are still signed in/],
    ] as const) {
      const { jar, idToken } = await signedIn(client);
      // An unregistered post_logout_redirect_uri: the request cannot be verified, so the page asks.
      const page = await browse(jar, `${p.issuer}/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://elsewhere.example/' })}`);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toMatch(expected);
      const action = /action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
      const done = await postForm(jar, action, { xsrf, logout: 'yes' });
      expect(done.status).toBe(200);
      expect(await done.text()).toMatch(after);
      const again = await silently(jar, client);
      const error = new URL(again.headers.get('location')!).searchParams.get('error');
      expect(error, client.clientId).toBe(client === own ? null : 'login_required');
    }
  });
});

describe('RC-06: reading the profile is not writing it', () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startProvider();
  });
  afterAll(() => p?.close());

  const UPDATE = 'mutation { updateMe(input: { givenName: "Mallory", picture: "https://evil.example/x.png" }) { id givenName } }';
  const givenName = async (id: string) => (await query<{ given_name: string | null }>(p.databaseUrl, 'select given_name from users where id = $1', [id]))[0]!.given_name;

  it('RC-06 a third-party app the user allowed `openid profile` cannot change the profile: FORBIDDEN, nothing written', async () => {
    const app = await p.createClient({ name: 'Third Party' });
    const user = await p.createUser({ givenName: 'Alice' });
    const tokens = await tokensFor(p, app, user, 'openid profile');
    const res = await gql(p, UPDATE, undefined, tokens.access_token);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.body.errors?.[0]?.message).toMatch(/profile:write/);
    expect(await givenName(user.id)).toBe('Alice');
  });

  it('RC-06 profile:write is shown on the consent page as write access, and then the app may write', async () => {
    const app = await p.createClient({ name: 'Profile Editor' });
    const user = await p.createUser({ givenName: 'Alice' });
    const jar = new CookieJar();
    const res = await browse(jar, authorizeUrl(p, { client_id: app.clientId, redirect_uri: app.redirectUri, response_type: 'code', scope: 'openid profile:write', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const loginPage = await browse(jar, res.headers.get('location')!);
    const form = formOf(await loginPage.text());
    const consent = await postForm(jar, form.action, { csrf: form.csrf, username: user.username, password: PASSWORD });
    const consentPage = await browse(jar, consent.headers.get('location')!);
    const html = await consentPage.text();
    expect(html).toMatch(/class="scope-danger">Warning: Change your name, picture and language/);
    const tokens = await tokensFor(p, app, user, 'openid profile:write');
    expect(tokens.scope.split(' ')).toContain('profile:write');
    const written = await gql(p, UPDATE, undefined, tokens.access_token);
    expect(written.body.data?.updateMe).toEqual({ id: user.id, givenName: 'Mallory' });
  });

  it('RC-06 a first-party client writes with `profile`; discovery lists profile:write', async () => {
    const app = await p.createClient({ name: 'Account Page', firstParty: true });
    const user = await p.createUser({ givenName: 'Alice' });
    const tokens = await tokensFor(p, app, user, 'openid profile');
    expect((await gql(p, UPDATE, undefined, tokens.access_token)).body.data?.updateMe?.givenName).toBe('Mallory');
    const meta = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as { scopes_supported: string[] };
    expect(meta.scopes_supported).toContain('profile:write');
  });
});

describe('RC-07: prompt × max_age × id_token_hint × login_hint, with a signed-in browser', () => {
  const clock = new ManualClock();
  let p: TestProvider;
  let client: { clientId: string; clientSecret?: string; redirectUri: string };
  let alice: { id: string; username: string };
  let bob: { id: string; username: string };
  let hints: Record<'alice' | 'bob', string>;
  beforeAll(async () => {
    p = await startProvider({}, { clock });
    client = await p.createClient({ firstParty: true });
    [alice, bob] = await Promise.all([p.createUser(), p.createUser()]);
    const [a, b] = await Promise.all([tokensFor(p, client, alice, 'openid'), tokensFor(p, client, bob, 'openid')]);
    hints = { alice: a.id_token!, bob: b.id_token! };
  });
  afterAll(() => p?.close());

  type Outcome = 'code' | 'login_required' | 'login form' | 'select page';

  /** What OIDC Core §3.1.2.1 asks for, Alice being signed in since `age` seconds. */
  function expected(prompt: string, maxAge: number | undefined, hint: 'alice' | 'bob' | undefined, age: number): Outcome {
    const fresh = maxAge === undefined || age < maxAge;
    const sameUser = hint !== 'bob';
    if (prompt === 'none') return fresh && sameUser ? 'code' : 'login_required';
    if (prompt === 'login' || !fresh || !sameUser) return 'login form';
    return prompt === 'select_account' ? 'select page' : 'code';
  }

  async function outcome(jar: CookieJar, params: Record<string, string>): Promise<{ outcome: Outcome; res: Response; html?: string }> {
    const res = await browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', nonce: 'n', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...params }));
    const to = new URL(res.headers.get('location')!);
    if (to.searchParams.get('code')) return { outcome: 'code', res };
    if (to.searchParams.get('error')) return { outcome: to.searchParams.get('error') as Outcome, res };
    const page = await browse(jar, to.toString());
    const html = await page.text();
    if (/name="password"/.test(html)) return { outcome: 'login form', res, html };
    if (/value="continue"/.test(html)) return { outcome: 'select page', res, html };
    throw new Error(`unexpected page: ${html.slice(0, 300)}`);
  }

  it('RC-07 every combination: a stale login or a hint for someone else is never continued, from any prompt', async () => {
    const jar = new CookieJar();
    const signed = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: alice.username, jar });
    expect(signed.location.searchParams.get('code')).toBeTruthy();
    clock.advance(4000); // Alice signed in 4 s ago
    const failures: string[] = [];
    for (const prompt of ['', 'none', 'login', 'select_account', 'select_account login'])
      for (const maxAge of [undefined, 1, 3600])
        for (const hint of [undefined, 'alice', 'bob'] as const)
          for (const loginHint of [undefined, 'alice', 'bob'] as const) {
            const params: Record<string, string> = {};
            if (prompt) params.prompt = prompt;
            if (maxAge !== undefined) params.max_age = String(maxAge);
            if (hint) params.id_token_hint = hints[hint];
            if (loginHint) params.login_hint = (loginHint === 'alice' ? alice : bob).username;
            const want = expected(prompt.includes('login') ? 'login' : prompt, maxAge, hint, 4);
            const got = await outcome(jar, params);
            const label = JSON.stringify({ prompt, maxAge, hint, loginHint });
            if (got.outcome !== want) failures.push(`${label}: ${got.outcome}, expected ${want}`);
            // The login form is prefilled with the login_hint, never with anyone else.
            if (got.outcome === 'login form' && loginHint) expect(got.html, label).toContain(`value="${(loginHint === 'alice' ? alice : bob).username}"`);
          }
    expect(failures).toEqual([]);
  });

  it('RC-07 select_account with max_age=1 after a 4 s old login: no "continue"; a continue posted anyway is sent to the login form', async () => {
    const jar = new CookieJar();
    const signed = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: alice.username, jar });
    expect(signed.location.searchParams.get('code')).toBeTruthy();
    // The page offered while the login is fresh, then the clock passes max_age before the answer.
    const offered = await outcome(jar, { prompt: 'select_account', max_age: '3' });
    expect(offered.outcome).toBe('select page');
    clock.advance(4000);
    const { action, csrf } = formOf(offered.html!);
    const answer = await postForm(jar, action, { csrf, decision: 'continue' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/\/interaction\/[\w-]+\?login=1$/);
    const page = await browse(jar, answer.headers.get('location')!);
    expect(await page.text()).toMatch(/name="password"/);
  });
});

describe('RC-05: what anonymous requests can make the database hold', () => {
  const LIMIT = 5;
  let p: TestProvider;
  let client: { clientId: string; clientSecret?: string; redirectUri: string };
  beforeAll(async () => {
    p = await startProvider({ JWT_OIDC_INTERACTION_RATE_LIMIT: String(LIMIT), JWT_OIDC_TRUST_PROXY: 'loopback' });
    client = await p.createClient({ firstParty: true, redirectUris: [`https://rp.example/${'c'.repeat(2000)}`] });
  });
  afterAll(() => p?.close());

  const interactions = async () => Number((await query<{ n: string }>(p.databaseUrl, 'select count(*) as n from interactions'))[0]!.n);
  const authorize = (params: Record<string, string>, ip: string) =>
    fetch(`${p.issuer}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...params }),
    });

  it('RC-05 every stored or echoed parameter has a limit: one character over is refused (nothing stored, state not echoed); at the limit it is accepted', async () => {
    const before = await interactions();
    // The limits are checked before anything else about the values.
    for (const [name, limit] of [['state', 2048], ['nonce', 255], ['login_hint', 512], ['scope', 2048], ['acr_values', 1024], ['ui_locales', 256], ['claims_locales', 256], ['claims', 4096]] as const) {
      const over = await authorize({ [name]: 'x'.repeat(limit + 1) }, '203.0.113.50');
      const location = new URL(over.headers.get('location')!);
      expect(location.searchParams.get('error'), name).toBe('invalid_request');
      expect(location.searchParams.get('error_description'), name).toContain(`${name} is too long`);
      expect(location.searchParams.get('state'), name).toBeNull();
    }
    expect(await interactions()).toBe(before);
    const huge = await authorize({ state: 'x'.repeat(60_000) }, '203.0.113.50');
    expect(new URL(huge.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    expect(await interactions()).toBe(before);
    const atLimit = await authorize({ state: 's'.repeat(2048) }, '203.0.113.51');
    expect(new URL(atLimit.headers.get('location')!).pathname).toMatch(/^\/interaction\//);
    const endSession = await fetch(`${p.issuer}/session/end`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.52' }, body: new URLSearchParams({ state: 'x'.repeat(2049) }) });
    expect(endSession.status).toBe(400);
    expect(await interactions()).toBe(before + 1);
  });

  it('RC-05 a row made with every parameter at its limit (the claims parameter too) stays under 10 KB (the documented bound)', async () => {
    const words = (n: number, w: string) => Array.from({ length: Math.floor(n / (w.length + 1)) }, () => w).join(' ');
    const acrs = Array.from({ length: 20 }, (_, i) => `urn:acr:${String(i).padStart(2, '0')}:${'x'.repeat(36)}`).slice(0, Math.floor(1024 / 50));
    const everyClaim = Object.fromEntries(Object.keys(SCOPE_OF_CLAIM).map((name) => [name, null]));
    const res = await authorize(
      // List parameters hold at most 20 items (50 scopes): long items reach the character limits.
      // The claims parameter (OIDC Core §5.5): every claim it keeps in both members, and its acr's values as long as acr_values.
      { state: 's'.repeat(2048), nonce: 'n'.repeat(255), login_hint: 'h'.repeat(512), scope: `openid ${words(2040, 'a'.repeat(40))}`, acr_values: acrs.join(' '), ui_locales: words(256, 'en-abcdefgh-abcdefgh'), claims_locales: words(256, 'de-abcdefgh-abcdefgh'), claims: JSON.stringify({ userinfo: everyClaim, id_token: { ...everyClaim, acr: { essential: true, values: acrs } } }) },
      '203.0.113.60',
    );
    const uid = /\/interaction\/([\w-]+)/.exec(res.headers.get('location') ?? '')?.[1];
    expect(uid, res.headers.get('location') ?? String(res.status)).toBeTruthy();
    const [row] = await query<{ bytes: number }>(p.databaseUrl, 'select octet_length(i::text) as bytes from interactions i where i.uid = $1', [uid]);
    expect(row!.bytes).toBeLessThanOrEqual(10_240);
  });

  it('RC-05 INTERACTION_RATE_LIMIT: a burst of 20 from one address stores exactly LIMIT interactions, the rest 429 with Retry-After; another address is not affected', async () => {
    const before = await interactions();
    const answers = await Promise.all(Array.from({ length: 20 }, () => authorize({}, '198.51.100.70')));
    expect(answers.filter((r) => r.status === 303)).toHaveLength(LIMIT);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(20 - LIMIT);
    for (const r of refused) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await interactions()).toBe(before + LIMIT);
    // The sign-out confirmation page stores an interaction too, and counts.
    expect((await fetch(`${p.issuer}/session/end`, { headers: { 'x-forwarded-for': '198.51.100.70' } })).status).toBe(429);
    expect((await authorize({}, '198.51.100.71')).status).toBe(303);
  });
});

describe('RC-14: refresh tokens need offline_access, except for a confidential first-party client', () => {
  let p: TestProvider;
  beforeAll(async () => {
    p = await startProvider();
  });
  afterAll(() => p?.close());

  it('RC-14 third-party and public clients: a refresh token only for offline_access, which the consent page shows', async () => {
    const thirdParty = await p.createClient({ name: 'Third Party' });
    const spa = await p.createClient({ name: 'SPA', public: true, firstParty: true, redirectUris: ['http://localhost:5173/cb'] });
    const own = await p.createClient({ name: 'Own App', firstParty: true });
    const user = await p.createUser();
    for (const client of [thirdParty, spa]) {
      expect((await tokensFor(p, client, user, 'openid profile')).refresh_token, client.clientId).toBeUndefined();
      expect((await tokensFor(p, client, user, 'openid profile offline_access')).refresh_token, client.clientId).toBeTruthy();
    }
    expect((await tokensFor(p, own, user, 'openid profile')).refresh_token).toBeTruthy();

    // The consent page names offline access before a third-party app gets it.
    const other = await p.createClient({ name: 'Another Third Party' });
    const jar = new CookieJar();
    const res = await browse(jar, authorizeUrl(p, { client_id: other.clientId, redirect_uri: other.redirectUri, response_type: 'code', scope: 'openid offline_access', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const page = await browse(jar, res.headers.get('location')!);
    const form = formOf(await page.text());
    const consent = await postForm(jar, form.action, { csrf: form.csrf, username: user.username, password: PASSWORD });
    expect(await (await browse(jar, consent.headers.get('location')!)).text()).toContain('Stay connected when you are not using it');
  });
});
