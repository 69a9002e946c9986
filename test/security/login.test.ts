/**
 * docs/SECURITY.md section I, rows SE-01…SE-07: the provider's browser session and its login and
 * consent pages. Session fixation, cookie attributes, login/consent CSRF and interaction swaps,
 * brute-force throttling, no account enumeration, no framing, and 303 after every credentials POST.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { query } from '../support/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  startProvider,
  type TestProvider,
} from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

const SESSION = 'jwt-oidc.session';
const INTERACTION = 'jwt-oidc.interaction';

// ---------------------------------------------------------------------------------------------
// helpers

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('base64url');

/** One SQL statement against the provider's own database. */
const sql = <T = Record<string, unknown>>(p: TestProvider, text: string, params: unknown[] = []) => query<T>(p.databaseUrl, text, params);

const sessionRow = async (p: TestProvider, cookieValue: string) =>
  (await sql<{ user_id: string }>(p, 'select user_id from sessions where id_hash = $1', [sha256(cookieValue)]))[0];
const count = async (p: TestProvider, table: string, where = 'true', params: unknown[] = []) =>
  Number((await sql<{ n: string }>(p, `select count(*) as n from ${table} where ${where}`, params))[0]!.n);

/** The provider's own URL as this process can reach it (an https issuer is still served over http). */
function local(p: TestProvider, url: string): string {
  return p.issuer.startsWith('https:') && url.startsWith(p.issuer) ? p.url + url.slice(p.issuer.length) : url;
}

interface ParsedCookie {
  name: string;
  value: string;
  attrs: Map<string, string>;
  raw: string;
}

function setCookies(res: Response): ParsedCookie[] {
  return res.headers.getSetCookie().map((raw) => {
    const [pair, ...rest] = raw.split(';');
    const eq = pair!.indexOf('=');
    const attrs = new Map<string, string>();
    for (const a of rest) {
      const i = a.indexOf('=');
      attrs.set((i < 0 ? a : a.slice(0, i)).trim().toLowerCase(), i < 0 ? '' : a.slice(i + 1).trim());
    }
    return { name: pair!.slice(0, eq).trim(), value: decodeURIComponent(pair!.slice(eq + 1).trim()), attrs, raw };
  });
}

function cookieNamed(res: Response, name: string): ParsedCookie | undefined {
  return setCookies(res).find((c) => c.name === name);
}

interface Started {
  uid: string;
  html: string;
  action: string;
  csrf: string;
  authorizeRes: Response;
  pageRes: Response;
}

/** A browser starts an authorization request and lands on the interaction page (login or consent). */
async function start(p: TestProvider, client: Client, jar: CookieJar, params: Record<string, string> = {}): Promise<Started> {
  const url = authorizeUrl(p, {
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'st-1',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  const authorizeRes = await browse(jar, local(p, url));
  expect(authorizeRes.status, await authorizeRes.clone().text()).toBe(303);
  const location = authorizeRes.headers.get('location')!;
  const uid = /\/interaction\/([A-Za-z0-9_-]+)$/.exec(new URL(location).pathname)?.[1];
  expect(uid, location).toBeTruthy();
  const pageRes = await browse(jar, local(p, location));
  const html = await pageRes.text();
  expect(pageRes.status, html.slice(0, 300)).toBe(200);
  return { uid: uid!, html, ...formOf(html), authorizeRes, pageRes };
}

function submitLogin(p: TestProvider, jar: CookieJar, action: string, fields: Record<string, string>): Promise<Response> {
  return postForm(jar, local(p, action), fields);
}

/** Logs `user` in through the interaction `s`; returns the POST response (expected 303). */
async function loginThrough(p: TestProvider, jar: CookieJar, s: Pick<Started, 'action' | 'csrf'>, user: { username: string; password?: string }): Promise<Response> {
  return submitLogin(p, jar, s.action, { csrf: s.csrf, username: user.username, password: user.password ?? PASSWORD });
}

/** Neither a redirect nor a session: the flow stopped here. */
function expectRefusedPage(res: Response, body: string, what: string, statuses = [400, 403]): void {
  expect(statuses, `${what}: ${res.status} ${body.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get('location'), what).toBeNull();
  expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
  expect(cookieNamed(res, SESSION), what).toBeUndefined();
  expect(cookieNamed(res, `__Host-${SESSION}`), what).toBeUndefined();
  expect(body, what).not.toMatch(/code=|rp\.example\/cb/);
}

function expectCodeRedirect(res: Response, client: Client, what: string): URL {
  expect(res.status, what).toBe(303);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`, what).toBe(client.redirectUri);
  expect(location.searchParams.get('code'), what).toBeTruthy();
  return location;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}


// ---------------------------------------------------------------------------------------------

let p: TestProvider;
let firstParty: Client;
let thirdParty: Client;
let alice: User;
let bob: User;

beforeAll(async () => {
  // A high per-account limit: SE-05 sends several wrong passwords for one account. SE-04 starts
  // its own providers with the limits under test.
  p = await startProvider({ JWT_OIDC_LOGIN_FAILURE_LIMIT: '1000' });
  firstParty = await p.createClient({ firstParty: true });
  thirdParty = await p.createClient({ name: 'Third Party RP' });
  alice = await p.createUser();
  bob = await p.createUser();
});
afterAll(() => p?.close());

describe('SE-01: session fixation', () => {
  it('SE-01 a random session cookie planted before login: replaced at login, never stored', async () => {
    const jar = new CookieJar();
    const s = await start(p, firstParty, jar);
    const planted = randomBytes(32).toString('base64url');
    jar.cookies.set(SESSION, planted);
    const res = await loginThrough(p, jar, s, alice);
    expectCodeRedirect(res, firstParty, 'login');
    const issued = cookieNamed(res, SESSION);
    expect(issued, 'the login sets a session cookie').toBeDefined();
    expect(issued!.value).not.toBe(planted);
    expect(jar.cookies.get(SESSION)).toBe(issued!.value);
    expect(await sessionRow(p, planted), 'no row for the planted value').toBeUndefined();
    expect((await sessionRow(p, issued!.value))?.user_id).toBe(alice.id);
  });

  it('SE-01 a valid session of another user planted before login: replaced, and the planted session is dead server-side', async () => {
    // bob's live session, in bob's browser.
    const bobJar = new CookieJar();
    const bobLogin = await login(p, { clientId: firstParty.clientId, redirectUri: firstParty.redirectUri, username: bob.username, jar: bobJar });
    expect(bobLogin.location.searchParams.get('code')).toBeTruthy();
    const bobSession = bobJar.cookies.get(SESSION)!;
    expect(bobSession).toBeTruthy();
    expect((await sessionRow(p, bobSession))?.user_id).toBe(bob.id);

    // It is planted in alice's browser, which then logs in as alice.
    const jar = new CookieJar();
    const s = await start(p, firstParty, jar);
    jar.cookies.set(SESSION, bobSession);
    const res = await loginThrough(p, jar, s, alice);
    expectCodeRedirect(res, firstParty, 'login');
    const issued = cookieNamed(res, SESSION);
    expect(issued).toBeDefined();
    expect(issued!.value).not.toBe(bobSession);
    expect(await sessionRow(p, bobSession), 'the planted session row is gone').toBeUndefined();
    expect((await sessionRow(p, issued!.value))?.user_id).toBe(alice.id);

    // End to end: the planted value no longer logs anybody in (prompt=none → login_required).
    const probe = new CookieJar();
    probe.cookies.set(SESSION, bobSession);
    const none = await browse(probe, authorizeUrl(p, { client_id: firstParty.clientId, redirect_uri: firstParty.redirectUri, response_type: 'code', scope: 'openid', state: 'st-none', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', prompt: 'none' }));
    expect(none.status).toBe(303);
    const back = new URL(none.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('login_required');
    expect(back.searchParams.get('code')).toBeNull();
  });
});

describe('SE-02: cookie attributes', () => {
  function expectSessionIdStrength(value: string, what: string): void {
    expect(value, what).toMatch(/^[A-Za-z0-9_-]+$/);
    // base64url: 6 bits a character; at least 128 bits.
    expect(value.length * 6, what).toBeGreaterThanOrEqual(128);
    expect(Buffer.from(value, 'base64url').length * 8, what).toBeGreaterThanOrEqual(128);
  }

  it('SE-02 http issuer: the interaction and session cookies are HttpOnly and SameSite=Lax, scoped by path, no Domain, ≥128-bit values', async () => {
    const jar = new CookieJar();
    const s = await start(p, firstParty, jar);
    const interaction = cookieNamed(s.authorizeRes, INTERACTION);
    expect(interaction, s.authorizeRes.headers.getSetCookie().join('\n')).toBeDefined();
    expect(interaction!.attrs.has('httponly'), interaction!.raw).toBe(true);
    expect(interaction!.attrs.get('samesite')?.toLowerCase(), interaction!.raw).toBe('lax');
    expect(interaction!.attrs.get('path'), interaction!.raw).toBe(`/interaction/${s.uid}`);
    expect(interaction!.attrs.has('domain'), interaction!.raw).toBe(false);
    expectSessionIdStrength(interaction!.value, 'interaction cookie');

    const res = await loginThrough(p, jar, s, alice);
    expectCodeRedirect(res, firstParty, 'login');
    const session = cookieNamed(res, SESSION);
    expect(session, res.headers.getSetCookie().join('\n')).toBeDefined();
    expect(session!.attrs.has('httponly'), session!.raw).toBe(true);
    expect(session!.attrs.get('samesite')?.toLowerCase(), session!.raw).toBe('lax');
    expect(session!.attrs.get('path'), session!.raw).toBe('/');
    expect(session!.attrs.has('domain'), session!.raw).toBe(false);
    expectSessionIdStrength(session!.value, 'session cookie');
  });

  describe('on an https issuer', () => {
    let sp: TestProvider;
    let client: Client;
    let user: User;
    beforeAll(async () => {
      const port = await freePort();
      sp = await startProvider({ JWT_OIDC_ISSUER: `https://localhost:${port}`, PORT: String(port) });
      expect(sp.issuer).toBe(`https://localhost:${port}`);
      client = await sp.createClient({ firstParty: true });
      user = await sp.createUser();
    });
    afterAll(() => sp?.close());

    it('SE-02 https issuer: __Secure- interaction cookie and __Host- session cookie, both HttpOnly, Secure, SameSite=Lax; the session cookie Path=/ with no Domain', async () => {
      const jar = new CookieJar();
      const s = await start(sp, client, jar);
      expect(cookieNamed(s.authorizeRes, INTERACTION), 'no unprefixed interaction cookie on https').toBeUndefined();
      const interaction = cookieNamed(s.authorizeRes, `__Secure-${INTERACTION}`);
      expect(interaction, s.authorizeRes.headers.getSetCookie().join('\n')).toBeDefined();
      expect(interaction!.attrs.has('httponly'), interaction!.raw).toBe(true);
      expect(interaction!.attrs.has('secure'), interaction!.raw).toBe(true);
      expect(interaction!.attrs.get('samesite')?.toLowerCase(), interaction!.raw).toBe('lax');
      expect(interaction!.attrs.get('path'), interaction!.raw).toBe(`/interaction/${s.uid}`);
      expect(interaction!.attrs.has('domain'), interaction!.raw).toBe(false);
      expectSessionIdStrength(interaction!.value, 'interaction cookie');

      const res = await loginThrough(sp, jar, s, user);
      expectCodeRedirect(res, client, 'login');
      expect(cookieNamed(res, SESSION), 'no unprefixed session cookie on https').toBeUndefined();
      const session = cookieNamed(res, `__Host-${SESSION}`);
      expect(session, res.headers.getSetCookie().join('\n')).toBeDefined();
      expect(session!.attrs.has('httponly'), session!.raw).toBe(true);
      expect(session!.attrs.has('secure'), session!.raw).toBe(true);
      expect(session!.attrs.get('samesite')?.toLowerCase(), session!.raw).toBe('lax');
      expect(session!.attrs.get('path'), session!.raw).toBe('/');
      expect(session!.attrs.has('domain'), session!.raw).toBe(false);
      expectSessionIdStrength(session!.value, 'session cookie');
      expect((await sessionRow(sp, session!.value))?.user_id).toBe(user.id);

      // Every cookie the provider set on the way carries Secure.
      for (const r of [s.authorizeRes, s.pageRes, res]) for (const c of setCookies(r)) expect(c.attrs.has('secure'), c.raw).toBe(true);
    });
  });
});

describe('SE-03: login and consent CSRF, interaction swaps', () => {
  it('SE-03 the login form posted without the interaction cookie (cross-site): 400, nothing persisted, no redirect', async () => {
    const jar = new CookieJar();
    const s = await start(p, firstParty, jar);
    const attacker = new CookieJar();
    const res = await expectNothingPersisted(p, () =>
      postForm(attacker, s.action, { csrf: s.csrf, username: alice.username, password: PASSWORD }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
    );
    expectRefusedPage(res, await res.text(), 'no interaction cookie');

    // The interaction itself is intact: the right browser still gets through.
    expectCodeRedirect(await loginThrough(p, jar, s, alice), firstParty, 'control');
  });

  it('SE-03 the login form with a wrong, a missing, or another interaction\'s CSRF token: 400, nothing persisted', async () => {
    const jar = new CookieJar();
    const other = await start(p, firstParty, new CookieJar());
    const s = await start(p, firstParty, jar);
    for (const [fields, what] of [
      [{ csrf: randomBytes(32).toString('base64url') }, 'random CSRF token'],
      [{ csrf: '' }, 'empty CSRF token'],
      [{}, 'no CSRF token'],
      [{ csrf: other.csrf }, 'the CSRF token of another interaction'],
      [{ csrf: `${s.csrf}x` }, 'the CSRF token with a suffix'],
    ] as const) {
      const res = await expectNothingPersisted(p, () => submitLogin(p, jar, s.action, { ...fields, username: alice.username, password: PASSWORD }));
      expectRefusedPage(res, await res.text(), what);
    }
    expectCodeRedirect(await loginThrough(p, jar, s, alice), firstParty, 'control: the right token');
  });

  it('SE-03 another browser\'s interaction uid: 400, nothing persisted', async () => {
    const jarA = new CookieJar();
    const jarB = new CookieJar();
    const a = await start(p, firstParty, jarA);
    const b = await start(p, firstParty, jarB);
    for (const [csrf, what] of [
      [b.csrf, "B's cookie and B's CSRF token on A's uid"],
      [a.csrf, "B's cookie and A's (leaked) CSRF token on A's uid"],
    ] as const) {
      const res = await expectNothingPersisted(p, () => submitLogin(p, jarB, a.action, { csrf, username: bob.username, password: PASSWORD }));
      expectRefusedPage(res, await res.text(), what);
    }
    expectCodeRedirect(await loginThrough(p, jarA, a, alice), firstParty, "control: A's browser");
  });

  it('SE-03 consent posted after the account was switched in another tab: 400, no grant, no code, no redirect', async () => {
    const user1 = await p.createUser();
    const user2 = await p.createUser();
    const jar = new CookieJar();

    // Tab 1: user1 logs in for interaction A and reaches the consent page.
    const a = await start(p, thirdParty, jar, { state: 'tab-1' });
    const toConsent = await loginThrough(p, jar, a, user1);
    expect(toConsent.status).toBe(303);
    expect(new URL(toConsent.headers.get('location')!).pathname).toBe(`/interaction/${a.uid}`);
    const consentA = await browse(jar, toConsent.headers.get('location')!);
    const consentHtml = await consentA.text();
    expect(consentA.status).toBe(200);
    expect(consentHtml).toContain(user1.username);
    const { action: consentAction, csrf: consentCsrf } = formOf(consentHtml);
    expect(consentAction).toMatch(/\/consent$/);
    const cookieA = jar.cookies.get(INTERACTION)!;

    // Tab 2, same browser: log in again as user2 for another interaction.
    const b = await start(p, thirdParty, jar, { state: 'tab-2', prompt: 'login' });
    const switched = await loginThrough(p, jar, b, user2);
    expect(switched.status).toBe(303);
    expect(cookieNamed(switched, SESSION)).toBeDefined();

    // Back to tab 1: the browser sends A's (path-scoped) interaction cookie with A's consent form.
    jar.cookies.set(INTERACTION, cookieA);
    const grantsBefore = await count(p, 'grants');
    const res = await expectNothingPersisted(p, () => postForm(jar, consentAction, { csrf: consentCsrf, decision: 'allow' }));
    expectRefusedPage(res, await res.text(), 'consent after an account switch');
    expect(await count(p, 'grants')).toBe(grantsBefore);
    expect(await count(p, 'grants', 'user_id in ($1, $2)', [user1.id, user2.id])).toBe(0);
    expect(await count(p, 'consents', 'user_id in ($1, $2)', [user1.id, user2.id])).toBe(0);
  });

  it('SE-03 the consent form without the interaction cookie, or with a wrong CSRF token: 400, nothing persisted', async () => {
    const user = await p.createUser();
    const jar = new CookieJar();
    const s = await start(p, thirdParty, jar);
    const toConsent = await loginThrough(p, jar, s, user);
    expect(toConsent.status).toBe(303);
    const page = await browse(jar, toConsent.headers.get('location')!);
    const { action, csrf } = formOf(await page.text());

    const noCookie = new CookieJar();
    noCookie.cookies.set(SESSION, jar.cookies.get(SESSION)!); // the session alone (SameSite=Lax would not even send it cross-site)
    for (const [j, fields, what] of [
      [noCookie, { csrf, decision: 'allow' }, 'consent without the interaction cookie'],
      [jar, { csrf: randomBytes(32).toString('base64url'), decision: 'allow' }, 'consent with a wrong CSRF token'],
      [jar, { decision: 'allow' }, 'consent without a CSRF token'],
    ] as const) {
      const res = await expectNothingPersisted(p, () => postForm(j, action, fields));
      expectRefusedPage(res, await res.text(), what);
    }
    const ok = await postForm(jar, action, { csrf, decision: 'allow' });
    expectCodeRedirect(ok, thirdParty, 'control: the right browser and token');
  });
});

describe('SE-04: brute force', () => {
  let tp: TestProvider;
  let client: Client;
  let victim: User;
  let bystander: User;
  beforeAll(async () => {
    tp = await startProvider({ JWT_OIDC_LOGIN_FAILURE_LIMIT: '5', JWT_OIDC_LOGIN_FAILURE_WINDOW: '300' });
    client = await tp.createClient({ firstParty: true });
    victim = await tp.createUser();
    bystander = await tp.createUser();
  });
  afterAll(() => tp?.close());

  it('SE-04 five wrong passwords for one account, then even the right password gets 429 with Retry-After and no session', async () => {
    const jar = new CookieJar();
    let s: Pick<Started, 'action' | 'csrf'> = await start(tp, client, jar);
    for (let i = 1; i <= 5; i++) {
      const res = await loginThrough(tp, jar, s, { username: victim.username, password: `wrong password ${i}` });
      const html = await res.text();
      expect(res.status, `attempt ${i}`).toBe(401);
      s = formOf(html);
    }
    for (const username of [victim.username, victim.username.toUpperCase(), ` ${victim.username} `]) {
      const res = await loginThrough(tp, jar, s, { username, password: PASSWORD });
      const html = await res.text();
      expect(res.status, `right password during the lockout (${JSON.stringify(username)}): ${html.slice(0, 200)}`).toBe(429);
      const retryAfter = res.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(300);
      expect(res.headers.get('location')).toBeNull();
      expect(cookieNamed(res, SESSION)).toBeUndefined();
      s = formOf(html);
    }
    expect(await count(tp, 'sessions', 'user_id = $1', [victim.id])).toBe(0);
    expect(await count(tp, 'grants', 'user_id = $1', [victim.id])).toBe(0);

    // Per account: another user still logs in from the same address.
    const jar2 = new CookieJar();
    const s2 = await start(tp, client, jar2);
    expectCodeRedirect(await loginThrough(tp, jar2, s2, bystander), client, 'another account is not locked');
  });

  it('SE-04 an unknown username is locked out the same way (the answer does not reveal existence)', async () => {
    const jar = new CookieJar();
    let s: Pick<Started, 'action' | 'csrf'> = await start(tp, client, jar);
    const ghost = `ghost-${randomBytes(4).toString('hex')}`;
    for (let i = 1; i <= 5; i++) {
      const res = await loginThrough(tp, jar, s, { username: ghost, password: PASSWORD });
      const html = await res.text();
      expect(res.status, `attempt ${i}`).toBe(401);
      s = formOf(html);
    }
    const res = await loginThrough(tp, jar, s, { username: ghost, password: PASSWORD });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });

  describe('per address', () => {
    let ap: TestProvider;
    let apClient: Client;
    let apUser: User;
    beforeAll(async () => {
      ap = await startProvider({ JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10' });
      apClient = await ap.createClient({ firstParty: true });
      apUser = await ap.createUser();
    });
    afterAll(() => ap?.close());

    it('SE-04 ten failures over ten usernames from one address, then 429 with Retry-After for any username, the right password included', async () => {
      const jar = new CookieJar();
      let s: Pick<Started, 'action' | 'csrf'> = await start(ap, apClient, jar);
      for (let i = 1; i <= 10; i++) {
        const username = i === 1 ? apUser.username : `spray-${i}-${randomBytes(3).toString('hex')}`;
        const res = await loginThrough(ap, jar, s, { username, password: i === 1 ? 'not the password' : PASSWORD });
        const html = await res.text();
        expect(res.status, `attempt ${i}`).toBe(401);
        s = formOf(html);
      }
      for (const [user, what] of [
        [apUser, 'an existing user with the right password'],
        [{ username: `fresh-${randomBytes(3).toString('hex')}`, password: PASSWORD }, 'a username never tried'],
      ] as const) {
        const res = await loginThrough(ap, jar, s, user);
        const html = await res.text();
        expect(res.status, `${what}: ${html.slice(0, 200)}`).toBe(429);
        expect(res.headers.get('retry-after'), what).toMatch(/^[1-9]\d*$/);
        expect(res.headers.get('location'), what).toBeNull();
        expect(cookieNamed(res, SESSION), what).toBeUndefined();
        s = formOf(html);
      }
      expect(await count(ap, 'sessions')).toBe(0);
    });
  });
});

describe('SE-05: no account enumeration', () => {
  const normalise = (html: string) =>
    html.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="CSRF"').replace(/(name="username" value=")[^"]*"/g, '$1USERNAME"');

  it('SE-05 unknown username, wrong password, inactive user (right or wrong password): the same status, headers and body', async () => {
    const inactive = await p.createUser({ active: false });
    const jar = new CookieJar();
    let s: Pick<Started, 'action' | 'csrf'> = await start(p, firstParty, jar);
    const answers: { what: string; status: number; body: string; headers: Record<string, string | null>; cookies: number }[] = [];
    for (const [user, what] of [
      [{ username: `nobody-${randomBytes(4).toString('hex')}`, password: PASSWORD }, 'unknown username'],
      [{ username: alice.username, password: 'wrong password!' }, 'wrong password'],
      [{ username: inactive.username, password: PASSWORD }, 'inactive user, right password'],
      [{ username: inactive.username, password: 'wrong password!' }, 'inactive user, wrong password'],
    ] as const) {
      const res = await loginThrough(p, jar, s, user);
      const html = await res.text();
      s = formOf(html);
      answers.push({
        what,
        status: res.status,
        body: normalise(html),
        headers: Object.fromEntries(['content-type', 'content-security-policy', 'x-frame-options', 'cache-control', 'retry-after', 'location'].map((h) => [h, res.headers.get(h)])),
        cookies: res.headers.getSetCookie().length,
      });
    }
    expect(answers[0]!.status).toBe(401);
    expect(answers[0]!.body).toContain('Incorrect username or password.');
    for (const a of answers.slice(1)) {
      expect(a.status, a.what).toBe(answers[0]!.status);
      expect(a.headers, a.what).toEqual(answers[0]!.headers);
      expect(a.cookies, a.what).toBe(answers[0]!.cookies);
      expect(a.body, a.what).toBe(answers[0]!.body);
    }
    expect(await count(p, 'sessions', 'user_id = $1', [inactive.id])).toBe(0);
  });

  it('SE-05 timing: unknown username and wrong password both run the password hash (median times within a factor of 2)', async () => {
    const jar = new CookieJar();
    let s: Pick<Started, 'action' | 'csrf'> = await start(p, firstParty, jar);
    const inactive = await p.createUser({ active: false });
    const paths = {
      unknown: { username: `nobody-${randomBytes(4).toString('hex')}`, password: PASSWORD },
      wrongPassword: { username: bob.username, password: 'wrong password!' },
      inactive: { username: inactive.username, password: PASSWORD },
    };
    const times: Record<keyof typeof paths, number[]> = { unknown: [], wrongPassword: [], inactive: [] };
    const attempt = async (user: { username: string; password: string }) => {
      const t0 = performance.now();
      const res = await loginThrough(p, jar, s, user);
      const html = await res.text();
      const elapsed = performance.now() - t0;
      expect(res.status).toBe(401);
      s = formOf(html);
      return elapsed;
    };
    await attempt(paths.unknown); // warm-up (the dummy hash is computed once)
    await attempt(paths.wrongPassword);
    for (let round = 0; round < 9; round++) {
      for (const key of Object.keys(paths) as (keyof typeof paths)[]) times[key].push(await attempt(paths[key]));
    }
    // The median of each kind, over interleaved rounds: a busy machine delays any request, and a
    // single lucky (or unlucky) sample says nothing, but a path that skipped the hash would be
    // several times faster than the others in most of its rounds.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const m = { unknown: median(times.unknown), wrongPassword: median(times.wrongPassword), inactive: median(times.inactive) };
    const msg = JSON.stringify({ medians: m, times });
    for (const a of Object.values(m)) for (const b of Object.values(m)) expect(a, msg).toBeGreaterThanOrEqual(b / 2);
  });
});

describe('SE-06: no framing, no script on the pages', () => {
  function expectUnframeable(res: Response, html: string, what: string): void {
    expect(res.headers.get('content-type'), what).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy');
    expect(csp, what).toBeTruthy();
    expect(csp!.split(',').length, `${what}: one policy`).toBe(1);
    expect(csp!.split(';').map((d) => d.trim()), what).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options'), what).toBe('DENY');
    expect(html, what).not.toMatch(/<script/i);
    expect(html, what).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers either
  }

  it('SE-06 the login page, a failed-login page and the consent page', async () => {
    const jar = new CookieJar();
    const s = await start(p, thirdParty, jar);
    expect(s.html).toContain('name="password"');
    expectUnframeable(s.pageRes, s.html, 'login page');

    const failed = await loginThrough(p, jar, s, { username: alice.username, password: 'wrong password!' });
    const failedHtml = await failed.text();
    expect(failed.status).toBe(401);
    expectUnframeable(failed, failedHtml, 'login page after a failure');

    const user = await p.createUser();
    const toConsent = await loginThrough(p, jar, formOf(failedHtml), user);
    expect(toConsent.status).toBe(303);
    const consent = await browse(jar, toConsent.headers.get('location')!);
    const consentHtml = await consent.text();
    expect(consent.status).toBe(200);
    expect(consentHtml).toContain('name="decision"');
    expectUnframeable(consent, consentHtml, 'consent page');
  });

  it('SE-06 the error pages: unknown client at /authorize, an unknown interaction, a refused form post', async () => {
    const unknownClient = await fetch(authorizeUrl(p, { client_id: 'nope', redirect_uri: 'https://rp.example/cb', response_type: 'code', scope: 'openid', state: 's' }), { redirect: 'manual' });
    const unknownHtml = await unknownClient.text();
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.headers.get('location')).toBeNull();
    expectUnframeable(unknownClient, unknownHtml, 'unknown client');

    const badRedirect = await fetch(authorizeUrl(p, { client_id: firstParty.clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid', state: 's' }), { redirect: 'manual' });
    expect(badRedirect.status).toBe(400);
    expectUnframeable(badRedirect, await badRedirect.text(), 'unregistered redirect_uri');

    const unknownInteraction = await fetch(`${p.issuer}/interaction/${randomBytes(16).toString('base64url')}`, { redirect: 'manual' });
    expect(unknownInteraction.status).toBe(400);
    expectUnframeable(unknownInteraction, await unknownInteraction.text(), 'unknown interaction');

    const s = await start(p, firstParty, new CookieJar());
    const refused = await postForm(new CookieJar(), s.action, { csrf: s.csrf, username: alice.username, password: PASSWORD });
    expect(refused.status).toBe(400);
    expectUnframeable(refused, await refused.text(), 'refused login post');
  });
});

describe('SE-07: 303 after credentials POSTs', () => {
  it('SE-07 a successful login POST answers 303 (to the client with a code, or to the consent page), never 307/308', async () => {
    const jar = new CookieJar();
    const s = await start(p, firstParty, jar);
    const res = await loginThrough(p, jar, s, alice);
    expect(res.status).toBe(303);
    expectCodeRedirect(res, firstParty, 'first-party login');

    const jar2 = new CookieJar();
    const user = await p.createUser();
    const t = await start(p, thirdParty, jar2);
    const toConsent = await loginThrough(p, jar2, t, user);
    expect(toConsent.status).toBe(303);
    expect(new URL(toConsent.headers.get('location')!).pathname).toBe(`/interaction/${t.uid}`);
  });

  it('SE-07 the consent POST answers 303, for allow and for deny', async () => {
    for (const decision of ['allow', 'deny'] as const) {
      const jar = new CookieJar();
      const user = await p.createUser();
      const s = await start(p, thirdParty, jar, { state: `st-${decision}` });
      const toConsent = await loginThrough(p, jar, s, user);
      expect(toConsent.status).toBe(303);
      const page = await browse(jar, toConsent.headers.get('location')!);
      const { action, csrf } = formOf(await page.text());
      const res = await postForm(jar, action, { csrf, decision });
      expect(res.status, decision).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(thirdParty.redirectUri);
      expect(location.searchParams.get('state')).toBe(`st-${decision}`);
      if (decision === 'allow') expect(location.searchParams.get('code')).toBeTruthy();
      else expect(location.searchParams.get('error')).toBe('access_denied');
    }
  });
});
