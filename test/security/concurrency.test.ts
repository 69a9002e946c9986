/**
 * Concurrency: every check-then-act path of the provider hit by a parallel burst, the invariant
 * asserted (at most N checks, exactly one winner, nothing half-written), and what one instance
 * does seen from another on the same database (one deployment: same issuer, same secret):
 * - authorization codes (RFC 6749 §4.1.2) and rotating refresh tokens (RFC 9700 §4.14.2):
 *   one winner, and a replay revokes the grant;
 * - one consent form, one delegated-login challenge, posted many times: one winner, one row;
 * - client secret rotations at once: the last committed secret alone works, on every instance;
 * - a user disabled while tokens of theirs are in use: nothing started afterwards succeeds;
 * - logout and revocation at one instance hold at the other; TOKEN_RATE_LIMIT is per instance.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/clients/client-service.js';
import { query } from '../support/database.js';
import { authorizeUrl, browse, clientToken, CookieJar, formOf, gql, login, PASSWORD, pkcePair, signInFields, TEST_MODE, postForm, startPair, type TestProvider } from '../support/provider.js';

type Client = Awaited<ReturnType<TestProvider['createClient']>>;
type User = Awaited<ReturnType<TestProvider['createUser']>>;
type Json = Record<string, any>;
interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

const SCOPE = 'openid profile offline_access';
const BURST = 20;
const LONG = { timeout: 120_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The URL of `url` on instance `on` (same path and query, that instance's origin). */
const at = (on: TestProvider, url: string) => `${on.url}${new URL(url).pathname}${new URL(url).search}`;

const basic = (c: { clientId: string; clientSecret?: string }) => `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret ?? '')}`).toString('base64')}`;

/** A token request (client_secret_basic) to instance `on`. */
const tokenAt = (on: TestProvider, fields: Record<string, string>, client: { clientId: string; clientSecret?: string }) =>
  fetch(at(on, `${on.issuer}/token`), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) }, body: new URLSearchParams(fields) });

const refreshAt = (on: TestProvider, client: Client, refreshToken: string) => tokenAt(on, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);

const userinfoAt = (on: TestProvider, accessToken: string) => fetch(at(on, `${on.issuer}/userinfo`), { headers: { authorization: `Bearer ${accessToken}` } });

/** RFC 7009 revocation at instance `on`, the client authenticated. */
const revokeAt = (on: TestProvider, client: Client, token: string, hint: 'access_token' | 'refresh_token') =>
  fetch(at(on, `${on.issuer}/revoke`), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) }, body: new URLSearchParams({ token, token_type_hint: hint }) });

/** Status and JSON body of each response. */
const bodies = (responses: Response[]) =>
  Promise.all(
    responses.map(async (r) => {
      const text = await r.text();
      let body: Json = {};
      try {
        body = JSON.parse(text) as Json;
      } catch {
        body = { text };
      }
      return { status: r.status, body };
    }),
  );

const tally = (statuses: number[]) => JSON.stringify(statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {}));

const count = async (p: TestProvider, sql: string, params: unknown[]) => Number((await query<{ n: string }>(p.databaseUrl, `select count(*) as n from ${sql}`, params))[0]!.n);

const grantOf = (accessToken: string) => decodeJwt(accessToken).grant_id as string;

/** A dead refresh token, at every instance given: invalid_grant. */
async function expectDeadRefresh(client: Client, refreshToken: string, ...on: TestProvider[]) {
  for (const p of on) {
    const [r] = await bodies([await refreshAt(p, client, refreshToken)]);
    expect(r!.status, `refresh at ${p.url}: ${JSON.stringify(r!.body)}`).toBe(400);
    expect(r!.body.error).toBe('invalid_grant');
  }
}

/** A dead access token, at every instance given: userinfo 401 invalid_token. */
async function expectDeadAccess(accessToken: string, ...on: TestProvider[]) {
  for (const p of on) {
    const res = await userinfoAt(p, accessToken);
    expect(res.status, `userinfo at ${p.url}: ${await res.clone().text()}`).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  }
}

/** Logs in at `p` (or reuses the browser's session in `jar`) and redeems the code there. */
async function signedIn(p: TestProvider, client: Client, user: User, jar = new CookieJar()): Promise<Tokens & { jar: CookieJar }> {
  const { location, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, scope: SCOPE, nonce: 'n-1', jar });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  const [r] = await bodies([await tokenAt(p, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier! }, client)]);
  expect(r!.status, JSON.stringify(r!.body)).toBe(200);
  return { ...(r!.body as Tokens), jar };
}

// ------------------------------------------------------------------------------------------------

let a: TestProvider;
let b: TestProvider;
let rp: Client;
let adminToken: string;

beforeAll(async () => {
  [a, b] = await startPair();
  rp = await a.createClient({ firstParty: true, grantTypes: ['authorization_code', 'refresh_token'], postLogoutRedirectUris: ['https://rp.example/bye'] });
  const automation = await a.createClient({ admin: true, grantTypes: ['client_credentials'] });
  adminToken = await clientToken(a, automation, 'admin');
  await b.provider!.clients.reload(); // b also learns of them by notification; not waiting for that
}, 120_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('authorization code redemption', () => {
  for (const split of [false, true]) {
    it(`burst: one code redeemed ${BURST} times at once ${split ? 'over two instances' : 'at one instance'}: exactly one 200, the rest invalid_grant; the replay revokes the grant (RFC 6749 §4.1.2)`, LONG, async () => {
      const user = await a.createUser();
      const { location, verifier } = await login(a, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: SCOPE });
      const code = location.searchParams.get('code')!;
      expect(code, location.toString()).toBeTruthy();
      const fields = { grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier! };
      const results = await bodies(await Promise.all(Array.from({ length: BURST }, (_, i) => tokenAt(split && i % 2 ? b : a, fields, rp))));
      const statuses = results.map((r) => r.status);
      const ok = results.filter((r) => r.status === 200);
      expect(ok, tally(statuses)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 200)) {
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error).toBe('invalid_grant');
        for (const key of ['access_token', 'refresh_token', 'id_token']) expect(r.body).not.toHaveProperty(key);
      }
      const winner = ok[0]!.body as Tokens;
      expect(winner.access_token).toBeTruthy();
      expect(winner.refresh_token).toBeTruthy();
      const grantId = grantOf(winner.access_token);
      // One token set written, and the replays ended the grant (SECURITY.md TK-01, TK-02).
      expect(await count(a, 'refresh_tokens where grant_id = $1', [grantId]), 'refresh tokens of the grant').toBe(1);
      expect(await count(a, 'grants where id = $1 and revoked_at is not null', [grantId]), 'the grant is revoked').toBe(1);
      await expectDeadAccess(winner.access_token, a, b);
      await expectDeadRefresh(rp, winner.refresh_token!, a, b);
    });
  }
});

describe('refresh token rotation', () => {
  it(`burst: one refresh token presented ${BURST} times at once over two instances: at most one success, the rest invalid_grant; the reuse revokes the whole grant (docs/SECURITY.md)`, LONG, async () => {
    const user = await a.createUser();
    const first = await signedIn(a, rp, user);
    const grantId = grantOf(first.access_token);
    const results = await bodies(await Promise.all(Array.from({ length: BURST }, (_, i) => refreshAt(i % 2 ? b : a, rp, first.refresh_token!))));
    const statuses = results.map((r) => r.status);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length, tally(statuses)).toBeLessThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
      expect(r.body).not.toHaveProperty('access_token');
    }
    // At most one successor was stored, and the replays revoked the grant.
    expect(await count(a, 'refresh_tokens where grant_id = $1 and rotated_at is null', [grantId]), 'live refresh tokens').toBeLessThanOrEqual(1);
    expect(await count(a, 'grants where id = $1 and revoked_at is not null', [grantId]), 'the grant is revoked').toBe(1);
    await expectDeadAccess(first.access_token, a, b);
    await expectDeadRefresh(rp, first.refresh_token!, a, b);
    if (ok[0]) {
      const winner = ok[0].body as Tokens;
      await expectDeadAccess(winner.access_token, a, b);
      await expectDeadRefresh(rp, winner.refresh_token!, a, b);
    }
  });
});

describe('consent', () => {
  it(`burst: one consent form posted ${BURST} times at once (allow, over two instances): exactly one 303 with a code, the others 400 expired; one consent row, one grant, one code`, LONG, async () => {
    const app = await a.createClient({ name: 'Third Party App' }); // not first-party: consent is asked
    await b.provider!.clients.reload();
    const user = await a.createUser();
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const start = await browse(jar, authorizeUrl(a, { client_id: app.clientId, redirect_uri: app.redirectUri, response_type: 'code', scope: 'openid profile', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(start.status).toBe(303);
    const loginPage = await browse(jar, start.headers.get('location')!);
    const loginHtml = await loginPage.text();
    const loginForm = formOf(loginHtml);
    const loggedIn = await postForm(jar, loginForm.action, signInFields(loginHtml, loginForm.csrf, user.username));
    expect(loggedIn.status).toBe(303);
    const consentPage = await browse(jar, loggedIn.headers.get('location')!);
    expect(consentPage.status).toBe(200);
    const { action, csrf } = formOf(await consentPage.text());
    expect(action).toMatch(/\/consent$/);
    const uid = /\/interaction\/([\w-]+)\//.exec(action)![1]!;

    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => postForm(jar, i % 2 ? at(b, action) : action, { csrf, decision: 'allow' })));
    const texts = await Promise.all(answers.map((r) => r.text()));
    const winners = answers.filter((r) => r.status === 303);
    expect(winners, tally(answers.map((r) => r.status))).toHaveLength(1);
    const to = new URL(winners[0]!.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(app.redirectUri);
    expect(to.searchParams.get('state')).toBe('st-1');
    const code = to.searchParams.get('code');
    expect(code, to.toString()).toBeTruthy();
    answers.forEach((r, i) => {
      if (r.status === 303) return;
      expect(r.status).toBe(400);
      expect(texts[i]).toContain('Sign-in expired');
      expect(r.headers.get('location')).toBeNull();
    });

    expect(await count(a, 'consents where user_id = $1 and client_id = $2', [user.id, app.clientId]), 'consent rows').toBe(1);
    expect(await count(a, 'grants where user_id = $1 and client_id = $2', [user.id, app.clientId]), 'grants').toBe(1);
    expect(await count(a, 'authorization_codes c join grants g on g.id = c.grant_id where g.user_id = $1 and g.client_id = $2', [user.id, app.clientId]), 'codes').toBe(1);
    expect(await count(a, 'interactions where uid = $1', [uid]), 'the interaction is over').toBe(0);
    const [scopes] = await query<{ scopes: string[] }>(a.databaseUrl, 'select scopes from consents where user_id = $1 and client_id = $2', [user.id, app.clientId]);
    expect([...scopes!.scopes].sort()).toEqual(['openid', 'profile']);
    // The one code works.
    const [redeemed] = await bodies([await tokenAt(a, { grant_type: 'authorization_code', code: code!, redirect_uri: app.redirectUri, code_verifier: verifier }, app)]);
    expect(redeemed!.status, JSON.stringify(redeemed!.body)).toBe(200);
  });
});

describe('the login form', () => {
  /** A new user's login form (first-party client: no consent), posted five times at once with the right password, over two instances. */
  async function doubleSubmit() {
    const user = await a.createUser();
    const jar = new CookieJar();
    const start = await browse(jar, authorizeUrl(a, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(start.status).toBe(303);
    const page = await browse(jar, start.headers.get('location')!);
    const html = await page.text();
    const { action, csrf } = formOf(html);
    const posts = await Promise.all(Array.from({ length: 5 }, (_, i) => postForm(jar, i % 2 ? at(b, action) : action, signInFields(html, csrf, user.username))));
    return { user, posts };
  }

  it('burst: one login form posted five times at once with the right password (a double submit, over two instances): exactly one code and one grant', LONG, async () => {
    const { user, posts } = await doubleSubmit();
    const codes = posts.filter((r) => r.status === 303 && new URL(r.headers.get('location')!).searchParams.get('code'));
    expect(codes, tally(posts.map((r) => r.status))).toHaveLength(1);
    // The others find the interaction over (400), or wait their turn too long (429).
    for (const r of posts.filter((x) => !codes.includes(x))) expect([400, 429]).toContain(r.status);
    expect(await count(a, 'grants where user_id = $1', [user.id]), 'grants').toBe(1);
  });

  // Each post that passed the password check used to start a session before finish() let only one
  // of them complete; the session is now claimed for the interaction before it is stored.
  it('burst: the same double submit leaves one session for the user, not one per post', LONG, async () => {
    const { user, posts } = await doubleSubmit();
    expect(posts.filter((r) => r.status === 303)).toHaveLength(1);
    expect(await count(a, 'sessions where user_id = $1', [user.id]), 'sessions: one login, one session').toBe(1);
  });
});

// The fake mode has no login app: its own page is its login step.
describe.skipIf(TEST_MODE === 'fake')('delegated login (LOGIN_URL)', () => {
  const LOGIN_APP = 'http://127.0.0.1:9/login'; // never followed: the test plays the browser and the login app
  const ACCEPT = 'mutation($c: String!, $s: ID!) { acceptLoginRequest(challenge: $c, subject: $s, amr: ["pwd"]) }';
  let d: TestProvider;
  let d2: TestProvider;
  let token: string;
  let client: Client;

  beforeAll(async () => {
    [d, d2] = await startPair({ JWT_OIDC_LOGIN_URL: LOGIN_APP });
    const automation = await d.createClient({ admin: true, grantTypes: ['client_credentials'] });
    token = await clientToken(d, automation, 'admin');
    client = await d.createClient({ firstParty: true });
    await d2.provider!.clients.reload();
  }, 120_000);
  afterAll(async () => {
    await d2?.close();
    await d?.close();
  });

  /** A browser at /authorize, sent to the login app: its jar, the challenge, the PKCE verifier. */
  async function challengeFor(jar: CookieJar) {
    const { verifier, challenge } = pkcePair();
    const res = await browse(jar, authorizeUrl(d, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', nonce: 'n-2', code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(LOGIN_APP);
    return { loginChallenge: to.searchParams.get('login_challenge')!, verifier };
  }

  it(`burst: acceptLoginRequest for one challenge ${BURST} times at once over two instances (two different subjects): exactly one answer, the rest NOT_FOUND; the browser signs in once, as the winner's subject`, LONG, async () => {
    const users = [await d.createUser(), await d.createUser()];
    const jar = new CookieJar();
    const { loginChallenge, verifier } = await challengeFor(jar);
    // Request i goes to instance i % 2 and names user floor(i / 2) % 2.
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => gql(i % 2 ? d2 : d, ACCEPT, { c: loginChallenge, s: users[Math.floor(i / 2) % 2]!.id }, token)));
    const won = answers.map((r, i) => ({ i, url: r.body.data?.acceptLoginRequest as string | undefined })).filter((x) => x.url);
    expect(won, JSON.stringify(answers.map((r) => r.body.errors?.[0]?.extensions?.code ?? 'ok'))).toHaveLength(1);
    for (const r of answers.filter((x) => !x.body.data?.acceptLoginRequest)) {
      expect(r.body.errors?.[0]?.extensions?.code, r.text).toBe('NOT_FOUND');
    }
    const subject = users[Math.floor(won[0]!.i / 2) % 2]!;
    const other = users.find((u) => u !== subject)!;
    // The challenge is answered: the login app can no longer read it.
    expect((await gql(d2, 'query($c: String!) { loginRequest(challenge: $c) { challenge } }', { c: loginChallenge }, token)).body.data?.loginRequest).toBeNull();

    // The browser follows the winner's URL: signed in as the winner's subject, once.
    const back = await browse(jar, won[0]!.url!);
    expect(back.status, await back.clone().text()).toBe(303);
    const to = new URL(back.headers.get('location')!);
    const code = to.searchParams.get('code');
    expect(code, to.toString()).toBeTruthy();
    const [redeemed] = await bodies([await tokenAt(d, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier }, client)]);
    expect(redeemed!.status, JSON.stringify(redeemed!.body)).toBe(200);
    expect(decodeJwt((redeemed!.body as Tokens).id_token!).sub).toBe(subject.id);
    expect(await count(d, 'sessions where user_id = $1', [subject.id]), 'sessions of the winner').toBe(1);
    expect(await count(d, 'sessions where user_id = $1', [other.id]), 'sessions of the other subject').toBe(0);
    expect(await count(d, 'grants where user_id = $1', [other.id]), 'grants of the other subject').toBe(0);
    // A second visit of the URL (at either instance) completes nothing.
    for (const on of [d, d2]) expect((await browse(jar, at(on, won[0]!.url!))).status).toBe(400);
  });

  /** A challenge accepted for a new user, and the accepted URL opened five times at once in the browser that started it. */
  async function doubleClick() {
    const user = await d.createUser();
    const jar = new CookieJar();
    const { loginChallenge } = await challengeFor(jar);
    const accepted = await gql(d, ACCEPT, { c: loginChallenge, s: user.id }, token);
    const url = accepted.body.data?.acceptLoginRequest as string;
    expect(url, accepted.text).toBeTruthy();
    const visits = await Promise.all(Array.from({ length: 5 }, (_, i) => browse(jar, i % 2 ? at(d2, url) : url)));
    return { user, jar, visits };
  }

  it('burst: the browser opens the accepted URL five times at once (a double click, over two instances): exactly one code and one grant; the browser is signed in', LONG, async () => {
    const { user, jar, visits } = await doubleClick();
    const codes = visits.filter((r) => r.status === 303 && new URL(r.headers.get('location')!).searchParams.get('code'));
    expect(codes, tally(visits.map((r) => r.status))).toHaveLength(1);
    for (const r of visits.filter((x) => !codes.includes(x))) expect(r.status).toBe(400);
    expect(await count(d, 'grants where user_id = $1', [user.id]), 'grants').toBe(1);
    const silent = await browse(jar, authorizeUrl(d, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(new URL(silent.headers.get('location')!).searchParams.get('code'), 'the browser kept the winning session').toBeTruthy();
  });

  // Every visit that found the interaction answered but without a session used to start one; the
  // session is now claimed for the interaction before it is stored (one visit wins).
  it('burst: the same double click leaves one session for the user, not one per visit', LONG, async () => {
    const { user } = await doubleClick();
    expect(await count(d, 'sessions where user_id = $1', [user.id]), 'sessions: one login, one session').toBe(1);
  });

  // Not a race, found here: `amr` is optional (default ["pwd"]); omitted, it reaches the resolver
  // as undefined, which used to throw (INTERNAL_SERVER_ERROR).
  it('acceptLoginRequest without the optional amr answers with the URL (default amr ["pwd"])', LONG, async () => {
    const user = await d.createUser();
    const { loginChallenge } = await challengeFor(new CookieJar());
    const accepted = await gql(d, 'mutation($c: String!, $s: ID!) { acceptLoginRequest(challenge: $c, subject: $s) }', { c: loginChallenge, s: user.id }, token);
    expect(accepted.body.errors, accepted.text).toBeUndefined();
    expect(accepted.body.data?.acceptLoginRequest).toMatch(/\/interaction\//);
  });
});

describe('client secret rotation', () => {
  it('burst: 10 rotations of one secret at once over two instances: every answer a secret; afterwards exactly one works (the last committed) at both instances, the old one fails', LONG, async () => {
    const m2m = await a.createClient({ grantTypes: ['client_credentials'] });
    await b.provider!.clients.reload();
    const ROTATE = 'mutation($id: ID!) { rotateClientSecret(id: $id) { clientSecret client { id } } }';
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => gql(i % 2 ? b : a, ROTATE, { id: m2m.clientId }, adminToken)));
    const secrets = answers.map((r) => r.body.data?.rotateClientSecret?.clientSecret as string | undefined);
    for (const [i, s] of secrets.entries()) expect(s, answers[i]!.text).toMatch(/^[\w-]{43}$/);
    expect(new Set(secrets).size).toBe(10);
    const [row] = await query<{ secret_hash: string }>(a.databaseUrl, 'select secret_hash from clients where id = $1', [m2m.clientId]);
    const last = secrets.filter((s) => hashSecret(s!) === row!.secret_hash);
    expect(last, 'the stored secret is one of the answers').toHaveLength(1);

    const candidates = [m2m.clientSecret!, ...(secrets as string[])];
    const working = async (on: TestProvider) => {
      const statuses = await Promise.all(candidates.map(async (s) => (await tokenAt(on, { grant_type: 'client_credentials' }, { clientId: m2m.clientId, clientSecret: s })).status));
      return candidates.filter((_, i) => statuses[i] === 200);
    };
    // Each instance reloads its clients after its own rotations and on the other's notification.
    let seen: string[][] = [];
    for (let round = 0; round < 25; round++) {
      seen = [await working(a), await working(b)];
      if (seen.every((w) => w.length === 1 && w[0] === last[0])) break;
      await sleep(200);
    }
    expect(seen[0], 'at a: the last committed secret alone').toEqual(last);
    expect(seen[1], 'at b: the last committed secret alone').toEqual(last);
    const old = await tokenAt(a, { grant_type: 'client_credentials' }, m2m);
    expect(old.status).toBe(401);
  });
});

describe('disabling a user', () => {
  it(`burst: a user disabled (updateUser active:false) while ${BURST} refreshes and userinfo calls of theirs run on two instances: nothing started after the disable returned succeeds`, LONG, async () => {
    const user = await a.createUser();
    const jar = new CookieJar();
    // Ten grants of the user: one login, then nine more authorizations in the same browser.
    const chains: { access: string; refresh: string }[] = [];
    for (let i = 0; i < BURST / 2; i++) {
      const t = await signedIn(a, rp, user, jar);
      chains.push({ access: t.access_token, refresh: t.refresh_token! });
    }
    type Phase = 'before' | 'during' | 'after';
    const calls: { kind: 'refresh' | 'userinfo'; phase: Phase; status: number; error?: string }[] = [];
    let phase: Phase = 'before';
    let stop = false;

    const refresher = async (chain: (typeof chains)[number], on: TestProvider) => {
      while (!stop) {
        const started = phase; // when the request is sent
        const [r] = await bodies([await refreshAt(on, rp, chain.refresh)]);
        calls.push({ kind: 'refresh', phase: started, status: r!.status, error: r!.body.error });
        if (r!.status === 200) {
          chain.refresh = r!.body.refresh_token;
          chain.access = r!.body.access_token;
        }
        await sleep(10);
      }
    };
    const reader = async (chain: (typeof chains)[number], on: TestProvider) => {
      while (!stop) {
        const started = phase;
        const res = await userinfoAt(on, chain.access);
        await res.text();
        calls.push({ kind: 'userinfo', phase: started, status: res.status });
        await sleep(10);
      }
    };
    const workers = chains.flatMap((c, i) => [refresher(c, i % 2 ? b : a), reader(c, i % 2 ? a : b)]);
    const until = async (done: () => boolean) => {
      for (const deadline = Date.now() + 20_000; !done() && Date.now() < deadline; ) await sleep(50);
    };
    const seen = (kind: 'refresh' | 'userinfo', p: Phase, ok?: boolean) => calls.filter((c) => c.kind === kind && c.phase === p && (ok === undefined || (c.status === 200) === ok)).length;
    // Running: a few successes of each kind, then the disable.
    await until(() => seen('refresh', 'before', true) >= BURST && seen('userinfo', 'before', true) >= BURST);
    phase = 'during';
    const disabled = await gql(b, 'mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id active } }', { id: user.id }, adminToken);
    phase = 'after';
    expect(disabled.body.data?.updateUser, disabled.text).toEqual({ id: user.id, active: false });
    // Every worker sends a few requests after it.
    await until(() => seen('refresh', 'after') >= BURST && seen('userinfo', 'after') >= BURST);
    stop = true;
    await Promise.all(workers);

    const summary = JSON.stringify(['before', 'during', 'after'].map((p) => [p, tally(calls.filter((c) => c.phase === p).map((c) => c.status))]));
    // The burst did run: requests succeeded before the disable, and requests were sent after it.
    expect(seen('refresh', 'before', true), summary).toBeGreaterThan(0);
    expect(seen('userinfo', 'before', true), summary).toBeGreaterThan(0);
    expect(seen('refresh', 'after'), summary).toBeGreaterThanOrEqual(BURST);
    expect(seen('userinfo', 'after'), summary).toBeGreaterThanOrEqual(BURST);
    const after = calls.filter((c) => c.phase === 'after');
    for (const c of after) {
      if (c.kind === 'refresh') expect([c.status, c.error], summary).toEqual([400, 'invalid_grant']);
      else expect(c.status, summary).toBe(401);
    }
    // Nothing escaped: every grant of the user is revoked, every session gone, and the newest
    // tokens of every chain (those issued while the disable ran included) are dead on both.
    expect(await count(a, 'grants where user_id = $1 and revoked_at is null', [user.id]), 'live grants').toBe(0);
    expect(await count(a, 'sessions where user_id = $1', [user.id]), 'sessions').toBe(0);
    for (const chain of chains) {
      await expectDeadAccess(chain.access, a, b);
      await expectDeadRefresh(rp, chain.refresh, a, b);
    }
  });
});

describe('logout and revocation across instances', () => {
  const BYE = 'https://rp.example/bye';

  it('logout at instance b with a valid id_token_hint ends the session made at instance a: prompt=none at a gives login_required, even with the old cookie', LONG, async () => {
    const user = await a.createUser();
    const tokens = await signedIn(a, rp, user);
    const { jar } = tokens;
    const stale = new CookieJar();
    for (const [k, v] of jar.cookies) stale.cookies.set(k, v);
    // Control: the session is there, at a.
    const silently = (j: CookieJar) =>
      browse(j, authorizeUrl(a, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(new URL((await silently(stale)).headers.get('location')!).searchParams.get('code'), 'signed in before the logout').toBeTruthy();

    const out = await browse(jar, at(b, `${a.issuer}/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: BYE, state: 's1' })}`));
    expect(out.status, await out.clone().text()).toBe(303);
    expect(out.headers.get('location')).toBe(`${BYE}?state=s1`);
    for (const j of [jar, stale]) {
      const again = await silently(j);
      expect(new URL(again.headers.get('location')!).searchParams.get('error'), 'no silent sign-in at a').toBe('login_required');
    }
    expect(await count(a, 'sessions where user_id = $1', [user.id]), 'sessions').toBe(0);
    // The session's grants ended with it.
    await expectDeadAccess(tokens.access_token, a);
    await expectDeadRefresh(rp, tokens.refresh_token!, a);
  });

  it('revocation at instance b (RFC 7009) holds at instance a: a revoked refresh token fails to refresh, a revoked access token fails at userinfo', LONG, async () => {
    const user = await a.createUser();
    const jar = new CookieJar();
    const one = await signedIn(a, rp, user, jar);
    const two = await signedIn(a, rp, user, jar);

    const revokedRefresh = await revokeAt(b, rp, one.refresh_token!, 'refresh_token');
    expect(revokedRefresh.status, await revokedRefresh.clone().text()).toBe(200);
    await expectDeadRefresh(rp, one.refresh_token!, a);
    await expectDeadAccess(one.access_token, a); // a refresh token takes its grant with it

    const revokedAccess = await revokeAt(b, rp, two.access_token, 'access_token');
    expect(revokedAccess.status, await revokedAccess.clone().text()).toBe(200);
    await expectDeadAccess(two.access_token, a, b);
    // Only that access token: its grant lives on (revocation.ts).
    const [refreshed] = await bodies([await refreshAt(a, rp, two.refresh_token!)]);
    expect(refreshed!.status, JSON.stringify(refreshed!.body)).toBe(200);
    expect((await userinfoAt(a, (refreshed!.body as Tokens).access_token)).status).toBe(200);
  });
});

describe('TOKEN_RATE_LIMIT is per instance (README)', () => {
  const LIMIT = 5;
  let r: TestProvider;
  let r2: TestProvider;
  beforeAll(async () => {
    [r, r2] = await startPair({ JWT_OIDC_TOKEN_RATE_LIMIT: String(LIMIT) });
  }, 120_000);
  afterAll(async () => {
    await r2?.close();
    await r?.close();
  });

  it(`${LIMIT} client_credentials requests at a, then ${LIMIT} at b, all succeed; the next one at either is 429 with Retry-After`, LONG, async () => {
    const m2m = await r.createClient({ grantTypes: ['client_credentials'] });
    await r2.provider!.clients.reload();
    const cc = { grant_type: 'client_credentials' };
    const atA = await Promise.all(Array.from({ length: LIMIT }, () => tokenAt(r, cc, m2m)));
    const atB = await Promise.all(Array.from({ length: LIMIT }, () => tokenAt(r2, cc, m2m)));
    expect([...atA, ...atB].map((x) => x.status)).toEqual(Array(2 * LIMIT).fill(200));
    for (const on of [r, r2]) {
      const over = await tokenAt(on, cc, m2m);
      expect(over.status, on.url).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it(`burst: 12 client_credentials requests at once at one instance: exactly ${LIMIT} succeed, the rest 429`, LONG, async () => {
    const m2m = await r.createClient({ grantTypes: ['client_credentials'] });
    const statuses = (await Promise.all(Array.from({ length: 12 }, () => tokenAt(r, { grant_type: 'client_credentials' }, m2m)))).map((x) => x.status);
    expect(statuses.filter((s) => s === 200), tally(statuses)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429), tally(statuses)).toHaveLength(12 - LIMIT);
  });
});
