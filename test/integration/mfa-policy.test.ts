/**
 * The two-step policy (docs/ACCOUNTS.md "Two-step sign-in", "The policy"): JWT_OIDC_MFA=required
 * and a client's requireMfa. Over real HTTP with cookie jars as a browser and an injected clock:
 * a user without a factor sets one up during the sign-in (src/interaction/enrolment.ts), with a
 * code computed from the key the page shows, as an authenticator app would; a live session with
 * a password only is stepped up; prompt=none cannot; parallel confirmations start one session;
 * the last factor stays under `required`. Rows PL-01…PL-08 of docs/SECURITY.md.
 */
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { mfaRequired } from '../../src/provider/authorization/acr.js';
import { FactorService } from '../../src/users/factors.js';
import { authorizeUrl, browse, clientToken, CookieJar, formOf, gql, PASSWORD, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

const MFA = 'urn:jwt-oidc:mfa';
/** A step boundary a little ahead of now: the tests move the clock by whole steps from it. */
const clock = new ManualClock(Math.ceil(Date.now() / 30_000) * 30_000 + 60_000);
/** JWT_OIDC_MFA=required. */
let req: TestProvider;
/** The default, `optional`, with a client that requires a second factor and one that does not. */
let opt: TestProvider;
let rp: Client;
let account: Client;
let strict: Client;
let relaxed: Client;
let adminClient: Client;

beforeAll(async () => {
  [req, opt] = await Promise.all([startProvider({ JWT_OIDC_MFA: 'required' }, { captureLogs: true, clock }), startProvider({}, { clock })]);
  rp = await req.createClient({ name: 'RP', firstParty: true, redirectUris: ['https://rp.example/cb'] });
  account = await req.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account.example/cb'] });
  strict = await opt.createClient({ name: 'Strict', firstParty: true, requireMfa: true, redirectUris: ['https://strict.example/cb'] });
  relaxed = await opt.createClient({ name: 'Relaxed', firstParty: true, redirectUris: ['https://relaxed.example/cb'] });
  adminClient = await opt.createClient({ name: 'Ops', admin: true, grantTypes: ['client_credentials'], responseTypes: [], redirectUris: [] });
});
afterAll(async () => {
  await Promise.all([req?.close(), opt?.close()]);
});

const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });
const factorsOf = (p: TestProvider) => new FactorService({ em: p.db.orm.em, clock, sealer: p.provider!.keys.encryption });
/** The key the set-up page shows, as a person types it into the app. */
const keyOf = (html: string) => /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
const sessionCookie = (jar: CookieJar) => [...jar.cookies.keys()].find((k) => k.includes('jwt-oidc.session'));

interface Flow {
  /** The pages seen: password, enrol, codes (the recovery codes), code (the second step). */
  pages: string[];
  result: URL;
  claims?: Record<string, unknown>;
  accessToken?: string;
  secret?: string;
  recoveryCodes?: string[];
}

/**
 * An authorization at `p` for `client` in `jar`, through whatever pages come: the password form,
 * the set-up (the key read from the page, its code computed), the recovery codes and their
 * "Continue", the second step (`code()`).
 */
async function authorizeIn(p: TestProvider, client: Client, jar: CookieJar, user: User, extra: Record<string, string> = {}, code?: () => string, scope = 'openid'): Promise<Flow> {
  const pkce = pkcePair();
  const start = authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope, state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra });
  const flow: Flow = { pages: [], result: new URL(start) };
  let res = await browse(jar, start);
  for (let hops = 0; hops < 12; hops++) {
    if (res.status === 302 || res.status === 303) {
      const next = new URL(res.headers.get('location')!, start);
      if (next.origin + next.pathname === client.redirectUri) {
        flow.result = next;
        const given = next.searchParams.get('code');
        if (!given) return flow;
        const token = await tokenRequest(p, { grant_type: 'authorization_code', code: given, redirect_uri: client.redirectUri, code_verifier: pkce.verifier }, client);
        expect(token.status).toBe(200);
        const body = (await token.json()) as { id_token: string; access_token: string };
        return { ...flow, claims: decodeJwt(body.id_token), accessToken: body.access_token };
      }
      res = await browse(jar, next.toString());
      continue;
    }
    const html = await res.text();
    expect(res.status, html.slice(0, 400)).toBe(200);
    if (html.includes('<h1>Save your recovery codes</h1>')) {
      flow.pages.push('codes');
      flow.recoveryCodes = [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
      const next = /<form method="get" action="([^"]+)"/.exec(html)![1]!;
      res = await browse(jar, new URL(next, start).toString());
      continue;
    }
    const { action, csrf } = formOf(html);
    const target = new URL(action, start).toString();
    if (action.endsWith('/login')) {
      flow.pages.push('password');
      res = await postForm(jar, target, { csrf, username: user.username, password: user.password });
    } else if (action.endsWith('/enrol')) {
      flow.pages.push('enrol');
      flow.secret = keyOf(html);
      res = await postForm(jar, target, { csrf, method: 'totp', code: codeAt(flow.secret) });
    } else if (action.endsWith('/mfa')) {
      flow.pages.push('code');
      res = await postForm(jar, target, { csrf, kind: 'totp', code: code!() });
    } else throw new Error(`unexpected page: ${action}`);
  }
  throw new Error('too many redirects');
}

/** Through the password form to the set-up page: its form, HTML and the jar. */
async function toEnrolment(p: TestProvider, user: User, client: Client = rp, jar = new CookieJar()): Promise<{ jar: CookieJar; action: string; csrf: string; html: string; url: string }> {
  const start = authorizeUrl(p, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const page = new URL((await browse(jar, start)).headers.get('location')!, start);
  const { action, csrf } = formOf(await (await browse(jar, page.toString())).text());
  const posted = await postForm(jar, new URL(action, page).toString(), { csrf, username: user.username, password: user.password });
  expect(posted.status).toBe(303);
  const url = posted.headers.get('location')!;
  expect(new URL(url).pathname).toMatch(/\/interaction\/[\w-]+\/enrol$/);
  const res = await browse(jar, url);
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(200);
  return { jar, ...formOf(html), html, url };
}

/** A browser with a live password-only session of `user` at `p` (signed in before the policy). */
async function passwordOnlySession(p: TestProvider, user: User): Promise<{ jar: CookieJar; sid: string }> {
  const { cookieValue, session } = await p.provider!.sessions.create(user.id, 3600_000, ['pwd']);
  const jar = new CookieJar();
  jar.cookies.set(p.provider!.cookies.session, cookieValue);
  return { jar, sid: session.sid };
}

describe('JWT_OIDC_MFA=required', () => {
  it('PL-01 a user with a password only sets up an app right after the password: the key on the page, one code, ten recovery codes once, then amr ["pwd","otp","mfa"] and acr urn:jwt-oidc:mfa', async () => {
    const user = await req.createUser();
    const enrol = await toEnrolment(req, user);
    expect(enrol.html).toContain('<h1>Set up two-step sign-in</h1>');
    expect(enrol.html).toContain('This service asks for a second step');
    expect(enrol.html).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"]+"/);
    expect(sessionCookie(enrol.jar), 'no session before the second factor').toBeUndefined();
    const secret = keyOf(enrol.html);
    // A reload shows the same key (the app may have scanned it already); the interaction's page leads back here.
    const again = await browse(enrol.jar, enrol.url);
    expect(keyOf(await again.text())).toBe(secret);
    expect((await browse(enrol.jar, enrol.url.replace(/\/enrol$/, ''))).headers.get('location')).toBe(enrol.url);

    const wrong = await postForm(enrol.jar, enrol.action, { csrf: formOf(await (await browse(enrol.jar, enrol.url)).text()).csrf, method: 'totp', code: codeAt(secret) === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('That code is not right.');
    expect(wrongHtml).toContain('aria-invalid="true"');
    expect(keyOf(wrongHtml), 'the same key after a wrong code').toBe(secret);
    expect(sessionCookie(enrol.jar)).toBeUndefined();

    const right = await postForm(enrol.jar, enrol.action, { csrf: formOf(wrongHtml).csrf, method: 'totp', code: codeAt(secret) });
    expect(right.status).toBe(200);
    const codesHtml = await right.text();
    expect(codesHtml).toContain('<h1>Save your recovery codes</h1>');
    const codes = [...codesHtml.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(right.headers.get('cache-control')).toMatch(/no-store/);
    expect(sessionCookie(enrol.jar)).toBeDefined();
    const next = /<form method="get" action="([^"]+)"/.exec(codesHtml)![1]!;
    const done = await browse(enrol.jar, next);
    expect(done.status).toBe(303);
    const at = new URL(done.headers.get('location')!);
    expect(at.origin + at.pathname).toBe(rp.redirectUri);
    expect(at.searchParams.get('code')).toBeTruthy();
    expect((await factorsOf(req).list(user.id)).map((f) => f.kind)).toEqual(['totp']);
    expect(req.logs.find((r) => r.event === 'mfa.enrolled' && r.actor === user.id)).toMatchObject({ outcome: 'success', kind: 'totp' });
    expect(req.logs.find((r) => r.event === 'mfa.failed' && r.actor === user.id)).toMatchObject({ outcome: 'failure' });

    // The whole flow, tokens included; and the next sign-in asks the code, as for anyone with a factor.
    const other = await req.createUser();
    const flow = await authorizeIn(req, rp, new CookieJar(), other);
    expect(flow.pages).toEqual(['password', 'enrol', 'codes']);
    expect(flow.claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA });
    clock.advance(30_000);
    const later = await authorizeIn(req, rp, new CookieJar(), other, {}, () => codeAt(flow.secret!));
    expect(later.pages).toEqual(['password', 'code']);
    expect(later.claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA });
  });

  it('PL-02 a live session with a password only is stepped up: set-up without a factor, the code with one; prompt=none gives interaction_required', async () => {
    const user = await req.createUser();
    const { jar, sid } = await passwordOnlySession(req, user);
    expect((await authorizeIn(req, rp, jar, user, { prompt: 'none' })).result.searchParams.get('error')).toBe('interaction_required');
    const stepped = await authorizeIn(req, rp, jar, user);
    expect(stepped.pages).toEqual(['enrol', 'codes']);
    expect(stepped.claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA, sid });
    // The session now has both: nothing more is asked.
    expect((await authorizeIn(req, rp, jar, user, { prompt: 'none' })).claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA, sid });

    // A user with a factor and a session that began before it: the code alone.
    const second = await passwordOnlySession(req, user);
    expect((await authorizeIn(req, rp, second.jar, user, { prompt: 'none' })).result.searchParams.get('error')).toBe('interaction_required');
    clock.advance(30_000);
    const code = await authorizeIn(req, rp, second.jar, user, {}, () => codeAt(stepped.secret!));
    expect(code.pages).toEqual(['code']);
    expect(code.claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA, sid: second.sid });
  });

  it('PL-03 a burst of 10 posts of the right code in one set-up starts exactly one session', async () => {
    const user = await req.createUser();
    const enrol = await toEnrolment(req, user);
    const code = codeAt(keyOf(enrol.html));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postForm(enrol.jar, enrol.action, { csrf: enrol.csrf, method: 'totp', code })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200), statuses.join()).toHaveLength(1);
    for (const s of statuses) expect([200, 400, 429]).toContain(s);
    for (const r of answers) expect(await r.text()).not.toMatch(/stack|Error:|node_modules/);
    expect(await req.provider!.sessions.listOfUser(user.id)).toHaveLength(1);
    expect(await factorsOf(req).list(user.id)).toHaveLength(1);
  });

  it('PL-04 the set-up is the interaction\'s: another browser, a forged token or an ended interaction is 400 and turns nothing on; wrong codes share the second step\'s budget', async () => {
    const user = await req.createUser();
    const enrol = await toEnrolment(req, user);
    const code = codeAt(keyOf(enrol.html));
    expect((await postForm(new CookieJar(), enrol.action, { csrf: enrol.csrf, method: 'totp', code })).status).toBe(400);
    expect((await postForm(enrol.jar, enrol.action, { csrf: 'forged', method: 'totp', code })).status).toBe(400);
    expect(await factorsOf(req).list(user.id)).toHaveLength(0);
    clock.advance(10 * 60_000 + 1000);
    expect((await postForm(enrol.jar, enrol.action, { csrf: enrol.csrf, method: 'totp', code: codeAt(keyOf(enrol.html)) })).status).toBe(400);
    expect(await factorsOf(req).list(user.id)).toHaveLength(0);
    expect(sessionCookie(enrol.jar)).toBeUndefined();

    const limit = req.settings.loginFailureLimit;
    let last = await toEnrolment(req, user);
    for (let i = 0; i < limit; i++) {
      const wrong = await postForm(last.jar, last.action, { csrf: last.csrf, method: 'totp', code: 'abcdef' });
      expect(wrong.status).toBe(401);
      last = { ...last, ...formOf(await wrong.text()) };
    }
    const refused = await postForm(last.jar, last.action, { csrf: last.csrf, method: 'totp', code: codeAt(keyOf(last.html)) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await factorsOf(req).list(user.id)).toHaveLength(0);
    clock.advance(req.settings.loginFailureWindow * 1000 + 1000);
  });

  it('PL-05 the last factor cannot be removed by its user (BAD_USER_INPUT on id); another one can; an administrator\'s reset still works and the next sign-in sets one up again', async () => {
    const REMOVE = 'mutation($id: ID!, $c: String!) { removeMyFactor(id: $id, currentPassword: $c) }';
    const user = await req.createUser();
    const flow = await authorizeIn(req, account, new CookieJar(), user, {}, undefined, 'openid profile');
    const [only] = await factorsOf(req).list(user.id);
    const refused = await gql(req, REMOVE, { id: only!.id, c: PASSWORD }, flow.accessToken);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(refused.body.errors[0].message).toMatch(/required/);
    expect(refused.text).not.toMatch(/stacktrace|node_modules|delete from/i);
    expect(await factorsOf(req).list(user.id)).toHaveLength(1);

    // Two factors, removed at once: one goes, the other stays.
    const started = await factorsOf(req).startTotp(user, 'test');
    clock.advance(30_000);
    await factorsOf(req).confirmTotp(user.id, started.id, codeAt(started.secret), 'Second phone');
    const both = await factorsOf(req).list(user.id);
    const answers = await Promise.all(both.map((f) => gql(req, REMOVE, { id: f.id, c: PASSWORD }, flow.accessToken)));
    expect(answers.filter((a) => a.body.data?.removeMyFactor === true), answers.map((a) => a.text).join('\n')).toHaveLength(1);
    expect(await factorsOf(req).list(user.id)).toHaveLength(1);

    const ops = await req.createClient({ name: 'Ops', admin: true, grantTypes: ['client_credentials'], responseTypes: [], redirectUris: [] });
    const reset = await gql(req, 'mutation($u: ID!) { resetUserFactors(userId: $u) }', { u: user.id }, await clientToken(req, ops, 'admin'));
    expect(reset.body).toMatchObject({ data: { resetUserFactors: 1 } });
    expect((await authorizeIn(req, rp, new CookieJar(), user)).pages).toEqual(['password', 'enrol', 'codes']);
  });
});

describe('a client\'s requireMfa', () => {
  it('PL-06 sign-ins to a client with requireMfa set up a factor or step up the session, with acr urn:jwt-oidc:mfa; a client without it signs in with the password alone', async () => {
    const user = await opt.createUser();
    const jar = new CookieJar();
    const plain = await authorizeIn(opt, relaxed, jar, user);
    expect(plain.pages).toEqual(['password']);
    expect(plain.claims!.amr).toEqual(['pwd']);
    expect(plain.claims!.acr).toBeUndefined();
    // The same session at the client that requires a second factor: prompt=none cannot, otherwise the set-up.
    expect((await authorizeIn(opt, strict, jar, user, { prompt: 'none' })).result.searchParams.get('error')).toBe('interaction_required');
    const stepped = await authorizeIn(opt, strict, jar, user);
    expect(stepped.pages).toEqual(['enrol', 'codes']);
    expect(stepped.claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA, sid: plain.claims!.sid });

    // A fresh sign-in of a user with a factor, at each client.
    clock.advance(30_000);
    const fresh = await authorizeIn(opt, strict, new CookieJar(), user, {}, () => codeAt(stepped.secret!));
    expect(fresh.pages).toEqual(['password', 'code']);
    expect(fresh.claims).toMatchObject({ acr: MFA });
    const other = await opt.createUser();
    expect((await authorizeIn(opt, strict, new CookieJar(), other)).pages).toEqual(['password', 'enrol', 'codes']);
    const discovery = (await (await fetch(`${opt.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.acr_values_supported).toEqual([MFA]);
  });

  it('PL-07 set and cleared over GraphQL (updateClient requireMfa), it takes effect at the next authorization', async () => {
    const token = await clientToken(opt, adminClient, 'admin');
    const app = await opt.createClient({ name: 'Later', firstParty: true, redirectUris: ['https://later.example/cb'] });
    const UPDATE = 'mutation($id: ID!, $on: Boolean!) { updateClient(id: $id, input: { requireMfa: $on }) { id requireMfa } }';
    const user = await opt.createUser();
    const jar = new CookieJar();
    expect((await authorizeIn(opt, app, jar, user)).pages).toEqual(['password']);
    const on = await gql(opt, UPDATE, { id: app.clientId, on: true }, token);
    expect(on.body.data?.updateClient, on.text).toEqual({ id: app.clientId, requireMfa: true });
    expect((await gql(opt, '{ client(id: "' + app.clientId + '") { requireMfa } }', undefined, token)).body.data.client.requireMfa).toBe(true);
    const stepped = await authorizeIn(opt, app, jar, user);
    expect(stepped.pages).toEqual(['enrol', 'codes']);
    expect(stepped.claims).toMatchObject({ acr: MFA });
    const created = await gql(opt, 'mutation { createClient(input: { name: "Made", redirectUris: ["https://made.example/cb"], requireMfa: true }) { client { id requireMfa } } }', undefined, token);
    expect(created.body.data?.createClient.client.requireMfa, created.text).toBe(true);
    const off = await gql(opt, UPDATE, { id: app.clientId, on: false }, token);
    expect(off.body.data?.updateClient.requireMfa).toBe(false);
  });

  it('PL-08 under `optional`, the last factor may be removed; the fake mode is outside the policy', async () => {
    const user = await opt.createUser();
    const account2 = await opt.createClient({ name: 'Account', firstParty: true, redirectUris: ['https://account2.example/cb'] });
    const enrolled = await authorizeIn(opt, strict, new CookieJar(), user);
    expect(enrolled.pages).toEqual(['password', 'enrol', 'codes']);
    clock.advance(30_000);
    const signedIn = await authorizeIn(opt, account2, new CookieJar(), user, {}, () => codeAt(enrolled.secret!), 'openid profile');
    const [only] = await factorsOf(opt).list(user.id);
    const removed = await gql(opt, 'mutation($id: ID!, $c: String!) { removeMyFactor(id: $id, currentPassword: $c) }', { id: only!.id, c: PASSWORD }, signedIn.accessToken);
    expect(removed.body, removed.text).toMatchObject({ data: { removeMyFactor: true } });
    expect(mfaRequired({ type: 'fake', mfa: 'required' }, { requireMfa: true })).toBe(false);
    expect(mfaRequired({ type: 'provider', mfa: 'optional' }, { requireMfa: false })).toBe(false);
  });
});
