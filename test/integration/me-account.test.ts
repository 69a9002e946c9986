/**
 * The signed-in user's own account over GraphQL (src/graphql/account-resolver.ts), over real HTTP
 * against a real provider: `Me.sessions` and `Me.connectedApps`, `endMySession`, `revokeMyGrant`
 * and `changeMyPassword`. Only the caller's own rows (another user's ids are NOT_FOUND and stay
 * untouched), only from a first-party application with profile or profile:write (a third-party
 * one is FORBIDDEN whatever its scopes); a removed app's tokens die and its next sign-in asks
 * consent again; the current password is checked and throttled; of a burst of changes exactly one
 * sets its password. Rows AC-07…AC-12 of docs/SECURITY.md.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionDevice } from '../../src/provider/stores/session-store.js';
import { findAccountToken, issueAccountToken } from '../../src/users/account-tokens.js';
import { verifyPassword } from '../../src/users/password.js';
import { UserError, UserService } from '../../src/users/user-service.js';
import {
  authorizeUrl,
  browse,
  clientToken,
  CookieJar,
  dbSnapshot,
  formOf,
  gql,
  PASSWORD,
  pkcePair,
  postForm,
  signInFields,
  startInstanceOf,
  startProvider,
  tokenRequest,
  tokensFor,
  type TestProvider,
} from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };
type Tokens = Awaited<ReturnType<typeof tokensFor>>;

let p: TestProvider;
/** The account page: a first-party application (no consent). */
let account: Client;
/** A third-party application (consent), with a home page. */
let shop: Client;

beforeAll(async () => {
  p = await startProvider({}, { captureLogs: true });
  account = await p.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
  shop = await p.createClient({ name: 'Shop', clientUri: 'https://shop.example', redirectUris: ['https://shop.example/cb'] });
});
afterAll(() => p?.close());

const ME_SESSIONS = '{ me { sessions { id createdAt authTime expiresAt amr current userAgent ip } } }';
const ME_APPS = '{ me { connectedApps { clientId clientName clientUri scopes firstGrantedAt lastUsedAt activeGrants } } }';
const END_SESSION = 'mutation($id: ID!) { endMySession(id: $id) }';
const REVOKE_APP = 'mutation($clientId: ID!) { revokeMyGrant(clientId: $clientId) }';
const CHANGE_PASSWORD = 'mutation($c: String!, $n: String!, $e: Boolean! = true) { changeMyPassword(currentPassword: $c, newPassword: $n, endOtherSessions: $e) }';

/**
 * A sign-in through the real pages in `jar` (a new browser by default) with this User-Agent, and
 * the code redeemed: the tokens, and the session (`sid`) the ID token names.
 */
async function signIn(client: Client, user: { username: string; password?: string }, o: { scope?: string; agent?: string; jar?: CookieJar } = {}): Promise<{ tokens: Tokens; jar: CookieJar; sid: string }> {
  const jar = o.jar ?? new CookieJar();
  const headers: Record<string, string> = o.agent ? { 'user-agent': o.agent } : {};
  const pkce = pkcePair();
  const start = authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: o.scope ?? 'openid profile', state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  let res = await browse(jar, start, { headers });
  let location: URL | undefined;
  for (let hops = 0; hops < 6 && !location; hops++) {
    expect([302, 303], await res.clone().text()).toContain(res.status);
    const next = new URL(res.headers.get('location')!, start);
    if (!next.pathname.includes('/interaction/')) {
      location = next;
      break;
    }
    res = await browse(jar, next.toString(), { headers });
    if (res.status === 302 || res.status === 303) continue;
    const html = await res.text();
    const { action, csrf } = formOf(html);
    const target = new URL(action, next).toString();
    res = action.endsWith('/login') ? await postForm(jar, target, signInFields(html, csrf, user.username, user.password), headers) : await postForm(jar, target, { csrf, decision: 'allow' }, headers);
  }
  const code = location?.searchParams.get('code');
  expect(code, String(location)).toBeTruthy();
  const token = await tokenRequest(p, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: pkce.verifier }, client);
  expect(token.status).toBe(200);
  const tokens = (await token.json()) as Tokens;
  return { tokens, jar, sid: String(decodeJwt(tokens.id_token!).sid) };
}

/** Where an authorization with `prompt=none` in `jar` ends: a code, or the error (login_required, consent_required). */
async function silentAuthorize(client: Client, jar: CookieJar, scope = 'openid profile'): Promise<{ code: string | null; error: string | null }> {
  const pkce = pkcePair();
  const res = await browse(jar, authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope, state: 's', prompt: 'none', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
  expect([302, 303]).toContain(res.status);
  const location = new URL(res.headers.get('location')!);
  expect(location.origin + location.pathname).toBe(client.redirectUri);
  return { code: location.searchParams.get('code'), error: location.searchParams.get('error') };
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const res = await fetch(`${p.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

async function refresh(client: Client, refreshToken: string): Promise<{ status: number; error?: string }> {
  const res = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
  const body = (await res.json()) as { error?: string };
  return { status: res.status, error: body.error };
}

/** Whether `password` signs `user` in at the pages (a failure counts against the login throttle). */
async function passwordWorks(user: { username: string }, password: string): Promise<boolean> {
  return tokensFor(p, account, { username: user.username, password }, 'openid').then(
    () => true,
    () => false,
  );
}

/** The error of a refused field: its code, and nothing answered for it. */
function refusal(answer: Awaited<ReturnType<typeof gql>>): { code: string; field?: string; message: string } {
  expect(answer.body.errors, answer.text).toHaveLength(1);
  const [error] = answer.body.errors;
  expect(answer.text).not.toMatch(/stacktrace|node_modules|select |update |delete from|INTERNAL_SERVER_ERROR/i);
  return { code: error.extensions.code, field: error.extensions.field, message: error.message };
}

describe('Me.sessions', () => {
  it('lists the caller\'s own live sessions, newest first, the current one marked, with browser and address', async () => {
    const user = await p.createUser();
    const other = await p.createUser();
    const a = await signIn(account, user, { agent: 'Browser A/1.0' });
    const longAgent = `Browser B/2.0 ${'x'.repeat(300)}`;
    const b = await signIn(account, user, { agent: longAgent });
    await signIn(account, other, { agent: 'Someone else' });

    const answer = await gql(p, ME_SESSIONS, undefined, a.tokens.access_token);
    expect(answer.body.errors, answer.text).toBeUndefined();
    const sessions = answer.body.data.me.sessions as { id: string; current: boolean; userAgent: string; ip: string; amr: string[]; createdAt: string; authTime: string; expiresAt: string }[];
    expect(sessions.map((s) => s.id)).toEqual([b.sid, a.sid]);
    expect(sessions.map((s) => s.current)).toEqual([false, true]);
    expect(sessions[1]!.userAgent).toBe('Browser A/1.0');
    expect(sessions[0]!.userAgent).toBe(longAgent.slice(0, 255));
    for (const s of sessions) {
      expect(s.ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
      expect(s.amr).toEqual(['pwd']);
      expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.parse(s.createdAt));
      expect(Date.parse(s.authTime)).toBeLessThanOrEqual(Date.parse(s.createdAt) + 1000);
    }

    // From the other browser, that one is current.
    const fromB = await gql(p, ME_SESSIONS, undefined, b.tokens.access_token);
    expect(fromB.body.data.me.sessions.map((s: { current: boolean }) => s.current)).toEqual([true, false]);
  });

  it('keeps what the request said as the table can hold it: the first 255 characters, no control characters', () => {
    expect(sessionDevice(`Agent\u0000/1\t${'y'.repeat(400)}`, ' 192.0.2.7 ')).toEqual({ userAgent: `Agent/1${'y'.repeat(248)}`, ip: '192.0.2.7' });
    expect(sessionDevice(undefined, '')).toEqual({ userAgent: null, ip: null });
  });
});

describe('Me.connectedApps', () => {
  it('lists each app with access: consent and active grants, scopes, since when, last use; refreshed apps move their last use', async () => {
    const user = await p.createUser();
    const atShop = await signIn(shop, user, { scope: 'openid profile email offline_access' });
    const page = await signIn(account, user);

    const first = await gql(p, ME_APPS, undefined, page.tokens.access_token);
    expect(first.body.errors, first.text).toBeUndefined();
    const apps = first.body.data.me.connectedApps as { clientId: string; clientName: string; clientUri: string | null; scopes: string[]; firstGrantedAt: string; lastUsedAt: string | null; activeGrants: number }[];
    expect(apps.map((a) => a.clientName)).toEqual(['Account', 'Shop']);
    const [accountApp, shopApp] = apps as [(typeof apps)[number], (typeof apps)[number]];
    expect(accountApp).toMatchObject({ clientId: account.clientId, clientUri: null, scopes: ['openid', 'profile'], activeGrants: 1 });
    expect(shopApp).toMatchObject({ clientId: shop.clientId, clientUri: 'https://shop.example', scopes: ['email', 'offline_access', 'openid', 'profile'], activeGrants: 1 });
    expect(Date.parse(shopApp.firstGrantedAt)).toBeLessThanOrEqual(Date.parse(shopApp.lastUsedAt!));

    // A refresh is a use: the last use moves, the first grant stays.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await refresh(shop, atShop.tokens.refresh_token!)).status).toBe(200);
    const after = (await gql(p, ME_APPS, undefined, page.tokens.access_token)).body.data.me.connectedApps.find((a: { clientId: string }) => a.clientId === shop.clientId);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(shopApp.lastUsedAt!));
    expect(after.firstGrantedAt).toBe(shopApp.firstGrantedAt);

    // A second sign-in at the shop is a second active grant of the same app.
    await signIn(shop, user, { scope: 'openid email' });
    const twice = (await gql(p, ME_APPS, undefined, page.tokens.access_token)).body.data.me.connectedApps.find((a: { clientId: string }) => a.clientId === shop.clientId);
    expect(twice.activeGrants).toBe(2);
  });
});

describe('AC-07 who may manage the account', () => {
  it('AC-07 a third-party app\'s token, even with profile:write, is FORBIDDEN on sessions, apps and every mutation; nothing changes', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    const thirdParty = await signIn(shop, user, { scope: 'openid profile profile:write' });
    expect(thirdParty.tokens.scope.split(' ')).toContain('profile:write');
    // The control: profile:write lets it edit the profile…
    const edit = await gql(p, 'mutation { updateMe(input: { givenName: "Ann" }) { givenName } }', undefined, thirdParty.tokens.access_token);
    expect(edit.body.data?.updateMe, edit.text).toEqual({ givenName: 'Ann' });

    // …but not the account.
    const before = await dbSnapshot(p);
    for (const [query, variables] of [
      [ME_SESSIONS, undefined],
      [ME_APPS, undefined],
      [END_SESSION, { id: page.sid }],
      [REVOKE_APP, { clientId: account.clientId }],
      [CHANGE_PASSWORD, { c: PASSWORD, n: 'taken over by the shop' }],
    ] as const) {
      const answer = await gql(p, query, variables, thirdParty.tokens.access_token);
      expect(refusal(answer).code, `${query}: ${answer.text}`).toBe('FORBIDDEN');
    }
    expect(await dbSnapshot(p), 'nothing changed').toEqual(before);
    expect(await passwordWorks(user, PASSWORD)).toBe(true);
  });

  it('AC-07 a first-party token without profile, a client_credentials token and no token are refused; profile:write from a first-party app may', async () => {
    const user = await p.createUser();
    const openidOnly = await signIn(account, user, { scope: 'openid' });
    const machine = await p.createClient({ name: 'Machine', firstParty: true, grantTypes: ['client_credentials'] });
    const machineToken = await clientToken(p, machine);
    for (const query of [ME_SESSIONS, ME_APPS]) {
      expect(refusal(await gql(p, query, undefined, openidOnly.tokens.access_token)).code).toBe('FORBIDDEN');
      expect(refusal(await gql(p, query, undefined, machineToken)).code).toBe('FORBIDDEN');
      expect(refusal(await gql(p, query)).code).toBe('UNAUTHENTICATED');
    }
    for (const [query, variables] of [
      [END_SESSION, { id: openidOnly.sid }],
      [REVOKE_APP, { clientId: account.clientId }],
      [CHANGE_PASSWORD, { c: PASSWORD, n: 'a brand new passphrase' }],
    ] as const) {
      expect(refusal(await gql(p, query, variables, openidOnly.tokens.access_token)).code).toBe('FORBIDDEN');
      expect(refusal(await gql(p, query, variables, machineToken)).code).toBe('FORBIDDEN');
      expect(refusal(await gql(p, query, variables)).code).toBe('UNAUTHENTICATED');
    }
    // The rule of mayWriteProfile, first-party only: profile:write alone does.
    const writer = await signIn(account, user, { scope: 'openid profile:write' });
    const answer = await gql(p, ME_SESSIONS, undefined, writer.tokens.access_token);
    expect(answer.body.errors, answer.text).toBeUndefined();
    expect(answer.body.data.me.sessions).toHaveLength(2);
  });
});

describe('endMySession', () => {
  it('ends one of the caller\'s sessions: that browser must sign in again, the others stay; its grants stay', async () => {
    const user = await p.createUser();
    const a = await signIn(account, user);
    const b = await signIn(account, user);
    // The control: B's browser is signed in.
    expect((await silentAuthorize(account, b.jar)).code).toBeTruthy();

    const answer = await gql(p, END_SESSION, { id: b.sid }, a.tokens.access_token);
    expect(answer.body, answer.text).toEqual({ data: { endMySession: true } });
    expect((await silentAuthorize(account, b.jar)).error).toBe('login_required');
    expect((await silentAuthorize(account, a.jar)).code).toBeTruthy();
    const left = (await gql(p, ME_SESSIONS, undefined, a.tokens.access_token)).body.data.me.sessions;
    expect(left.map((s: { id: string }) => s.id)).toEqual([a.sid]);
    // The session's grants stay (revokeMyGrant removes an app).
    expect(await userinfoStatus(b.tokens.access_token)).toBe(200);
    expect(refusal(await gql(p, END_SESSION, { id: b.sid }, a.tokens.access_token)).code).toBe('NOT_FOUND');

    const logged = p.logs.find((r) => r.event === 'session.revoked' && r.sid === b.sid);
    expect(logged).toMatchObject({ audit: true, outcome: 'success', actor: user.id, client: account.clientId });
  });

  it('AC-08 another user\'s session id is NOT_FOUND, as an unknown one; that session lives on', async () => {
    const user = await p.createUser();
    const victim = await p.createUser();
    const mine = await signIn(account, user);
    const theirs = await signIn(account, victim);

    const foreign = refusal(await gql(p, END_SESSION, { id: theirs.sid }, mine.tokens.access_token));
    const unknown = refusal(await gql(p, END_SESSION, { id: 'no-such-session-id' }, mine.tokens.access_token));
    expect(foreign).toEqual({ code: 'NOT_FOUND', message: 'session not found' });
    expect(unknown).toEqual(foreign);
    expect(refusal(await gql(p, END_SESSION, { id: 'x'.repeat(5000) }, mine.tokens.access_token))).toEqual(foreign);
    expect((await silentAuthorize(account, theirs.jar)).code).toBeTruthy();
    const theirSessions = (await gql(p, ME_SESSIONS, undefined, theirs.tokens.access_token)).body.data.me.sessions;
    expect(theirSessions.map((s: { id: string }) => s.id)).toContain(theirs.sid);
  });
});

describe('revokeMyGrant', () => {
  it('AC-09 removes an app: its access token is refused at userinfo, its refresh token at the token endpoint, its next sign-in asks consent', async () => {
    const user = await p.createUser();
    const atShop = await signIn(shop, user, { scope: 'openid profile offline_access' });
    const page = await signIn(account, user);
    // The controls: the shop's tokens work, and its next sign-in in that browser asks nothing.
    expect(await userinfoStatus(atShop.tokens.access_token)).toBe(200);
    expect((await silentAuthorize(shop, atShop.jar, 'openid profile offline_access')).code).toBeTruthy();

    const answer = await gql(p, REVOKE_APP, { clientId: shop.clientId }, page.tokens.access_token);
    expect(answer.body, answer.text).toEqual({ data: { revokeMyGrant: true } });

    expect(await userinfoStatus(atShop.tokens.access_token)).toBe(401);
    expect(await refresh(shop, atShop.tokens.refresh_token!)).toEqual({ status: 400, error: 'invalid_grant' });
    expect((await silentAuthorize(shop, atShop.jar, 'openid profile offline_access')).error).toBe('consent_required');
    const apps = (await gql(p, ME_APPS, undefined, page.tokens.access_token)).body.data.me.connectedApps;
    expect(apps.map((a: { clientId: string }) => a.clientId)).toEqual([account.clientId]);
    // The account page's own grant is another app's: untouched.
    expect(await userinfoStatus(page.tokens.access_token)).toBe(200);
    // Nothing left to remove.
    expect(refusal(await gql(p, REVOKE_APP, { clientId: shop.clientId }, page.tokens.access_token)).code).toBe('NOT_FOUND');

    const logged = p.logs.find((r) => r.event === 'grant.revoked' && r.actor === user.id);
    expect(logged).toMatchObject({ audit: true, outcome: 'success', client: account.clientId, app: shop.clientId, consentForgotten: true });
    expect(logged!.grants).toHaveLength(2);

    // Signing in again asks consent again, and works.
    const again = await signIn(shop, user, { scope: 'openid profile', jar: atShop.jar });
    expect(await userinfoStatus(again.tokens.access_token)).toBe(200);
  });

  it('AC-08 an app only another user connected, or none at all, is NOT_FOUND; the other user\'s grant and consent stay', async () => {
    const user = await p.createUser();
    const victim = await p.createUser();
    const victimAtShop = await signIn(shop, victim, { scope: 'openid profile offline_access' });
    const page = await signIn(account, user);

    const foreign = refusal(await gql(p, REVOKE_APP, { clientId: shop.clientId }, page.tokens.access_token));
    const unknown = refusal(await gql(p, REVOKE_APP, { clientId: 'no-such-client' }, page.tokens.access_token));
    expect(foreign).toEqual({ code: 'NOT_FOUND', message: 'connected app not found' });
    expect(unknown).toEqual(foreign);
    expect(await userinfoStatus(victimAtShop.tokens.access_token)).toBe(200);
    expect((await refresh(shop, victimAtShop.tokens.refresh_token!)).status).toBe(200);
    expect((await silentAuthorize(shop, victimAtShop.jar, 'openid profile offline_access')).code).toBeTruthy();
  });
});

describe('changeMyPassword', () => {
  it('AC-11 with the right current password: the old one is refused at login, the new one works; other sessions, grants and reset links end, the caller\'s stay', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    const elsewhere = await signIn(account, user);
    const atShop = await signIn(shop, user, { scope: 'openid profile offline_access' });
    const link = await issueAccountToken(p.db.orm.em.fork(), { kind: 'password-reset', userId: user.id, lifetimeMs: 600_000, now: Date.now() });

    const answer = await gql(p, CHANGE_PASSWORD, { c: PASSWORD, n: 'a brand new passphrase' }, page.tokens.access_token);
    expect(answer.body, answer.text).toEqual({ data: { changeMyPassword: true } });

    // The caller's grant and session stay…
    const sessions = (await gql(p, ME_SESSIONS, undefined, page.tokens.access_token)).body.data.me.sessions;
    expect(sessions.map((s: { id: string; current: boolean }) => [s.id, s.current])).toEqual([[page.sid, true]]);
    expect((await silentAuthorize(account, page.jar)).code).toBeTruthy();
    // …everything else ends.
    expect((await silentAuthorize(account, elsewhere.jar)).error).toBe('login_required');
    expect(await userinfoStatus(elsewhere.tokens.access_token)).toBe(401);
    expect((await gql(p, ME_SESSIONS, undefined, elsewhere.tokens.access_token)).status).toBe(401);
    expect(await userinfoStatus(atShop.tokens.access_token)).toBe(401);
    expect((await refresh(shop, atShop.tokens.refresh_token!)).error).toBe('invalid_grant');
    expect(await findAccountToken(p.db.orm.em.fork(), 'password-reset', link, Date.now())).toBeUndefined();

    expect(await passwordWorks(user, PASSWORD)).toBe(false);
    expect(await passwordWorks(user, 'a brand new passphrase')).toBe(true);

    const logged = p.logs.find((r) => r.event === 'password.changed' && r.actor === user.id);
    expect(logged).toMatchObject({ audit: true, outcome: 'success', client: account.clientId, endedOtherSessions: true });
    expect(JSON.stringify(p.logs)).not.toContain('a brand new passphrase');
  });

  it('with endOtherSessions: false, the other sessions and grants stay', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    const elsewhere = await signIn(account, user);
    const answer = await gql(p, CHANGE_PASSWORD, { c: PASSWORD, n: 'another new passphrase', e: false }, page.tokens.access_token);
    expect(answer.body, answer.text).toEqual({ data: { changeMyPassword: true } });
    expect(await userinfoStatus(elsewhere.tokens.access_token)).toBe(200);
    expect((await silentAuthorize(account, elsewhere.jar)).code).toBeTruthy();
    expect(await passwordWorks(user, 'another new passphrase')).toBe(true);
  });

  it('a new password the rules refuse is BAD_USER_INPUT on newPassword, checked before the current one and free of the throttle', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    for (let i = 0; i < 8; i++) {
      for (const bad of ['short', 'x'.repeat(1025)]) {
        const refused = refusal(await gql(p, CHANGE_PASSWORD, { c: i % 2 ? PASSWORD : 'not the password', n: bad }, page.tokens.access_token));
        expect(refused.code).toBe('BAD_USER_INPUT');
        expect(refused.field).toBe('newPassword');
        expect(refused.message).toMatch(/^newPassword: must be at (least 8|most 1024) characters$/);
      }
    }
    // Sixteen refusals, none of them counted: the right current password still changes it.
    const answer = await gql(p, CHANGE_PASSWORD, { c: PASSWORD, n: 'long enough now' }, page.tokens.access_token);
    expect(answer.body, answer.text).toEqual({ data: { changeMyPassword: true } });
  });

  it('AC-10 a wrong current password is BAD_USER_INPUT on currentPassword; after LOGIN_FAILURE_LIMIT of them TOO_MANY_REQUESTS, the right one too, on every instance', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    const limit = p.settings.loginFailureLimit;
    for (let i = 0; i < limit; i++) {
      const answer = await gql(p, CHANGE_PASSWORD, { c: `guess number ${i}`, n: 'the attacker\'s choice' }, page.tokens.access_token);
      expect(answer.status).toBe(200);
      expect(refusal(answer)).toEqual({ code: 'BAD_USER_INPUT', field: 'currentPassword', message: 'currentPassword: incorrect password' });
    }
    const throttled = await gql(p, CHANGE_PASSWORD, { c: PASSWORD, n: 'the owner\'s choice' }, page.tokens.access_token);
    expect(throttled.status, throttled.text).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refusal(throttled).code).toBe('TOO_MANY_REQUESTS');
    expect(throttled.body.errors[0].extensions.retryAfter).toBeGreaterThan(0);

    // The budget lives in PostgreSQL: a second instance holds it too.
    const second = await startInstanceOf(p);
    try {
      const there = await gql(second, CHANGE_PASSWORD, { c: PASSWORD, n: 'the owner\'s choice' }, page.tokens.access_token);
      expect(refusal(there).code).toBe('TOO_MANY_REQUESTS');
    } finally {
      await second.close();
    }
    expect(await passwordWorks(user, PASSWORD)).toBe(true);
    const failures = p.logs.filter((r) => r.event === 'password.change_failed' && r.actor === user.id);
    expect(failures.map((r) => r.outcome)).toEqual([...Array(limit).fill('failure'), 'refused']);
  });

  it('AC-12 a parallel burst of 10 changes with the right current password: each succeeds or fails cleanly, exactly one new password works', async () => {
    const user = await p.createUser();
    const page = await signIn(account, user);
    const candidates = Array.from({ length: 10 }, (_, i) => `burst passphrase ${i}`);
    const answers = await Promise.all(candidates.map((n) => gql(p, CHANGE_PASSWORD, { c: PASSWORD, n }, page.tokens.access_token)));

    const winners = answers.flatMap((a, i) => (a.body.data?.changeMyPassword === true ? [candidates[i]!] : []));
    expect(winners, answers.map((a) => a.text).join('\n')).toHaveLength(1);
    for (const a of answers) {
      if (a.body.data?.changeMyPassword === true) continue;
      expect([200, 429]).toContain(a.status);
      const { code, field } = refusal(a);
      expect(['BAD_USER_INPUT', 'TOO_MANY_REQUESTS']).toContain(code);
      if (code === 'BAD_USER_INPUT') expect(field).toBe('currentPassword');
    }

    const [row] = await p.db.orm.em.fork().getConnection().execute<{ password_hash: string }[]>('select password_hash from users where id = ?', [user.id]);
    const works = await Promise.all(candidates.map((c) => verifyPassword(c, row!.password_hash)));
    expect(candidates.filter((_, i) => works[i])).toEqual(winners);
    expect(await verifyPassword(PASSWORD, row!.password_hash)).toBe(false);
    expect(await passwordWorks(user, winners[0]!)).toBe(true);
  });

  it('AC-12 without the throttle in front, the service alone sets exactly one of 10 parallel changes (compare-and-set on the locked row)', async () => {
    const user = await p.createUser();
    const users = new UserService(p.db.orm.em);
    const candidates = Array.from({ length: 10 }, (_, i) => `service passphrase ${i}`);
    const results = await Promise.allSettled(candidates.map((n) => users.changePassword(user.id, PASSWORD, n, { endOthers: true })));
    const fulfilled = results.flatMap((r, i) => (r.status === 'fulfilled' ? [candidates[i]!] : []));
    expect(fulfilled).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      expect(r.reason).toBeInstanceOf(UserError);
      expect((r.reason as UserError).field).toBe('currentPassword');
    }
    const stored = (await users.findById(user.id))!.passwordHash!;
    expect(await verifyPassword(fulfilled[0]!, stored)).toBe(true);
  });
});
