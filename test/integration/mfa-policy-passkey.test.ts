/**
 * A passkey as the factor set up during a sign-in under the policy (docs/ACCOUNTS.md "The
 * policy"; src/interaction/enrolment.ts): over real HTTP with cookie jars as a browser, a software
 * authenticator (test/support/soft-authenticator.ts) answering the registration options the
 * set-up page carries, and an injected clock. The session's amr, the recovery codes, the next
 * sign-in; a burst of one answer; the interaction's CSRF token, its user and lifetime; the shared
 * budget; an app and a passkey set up at once; pending enrolments of both kinds side by side.
 * Row PL-09 of docs/SECURITY.md.
 */
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { INTERACTION_TTL_MS } from '../../src/provider/stores/interaction-store.js';
import { FactorService } from '../../src/users/factors.js';
import { PASSKEY_CEREMONY_MS, PasskeyService, relyingPartyOf } from '../../src/users/passkeys.js';
import { UserError } from '../../src/users/user-service.js';
import { softAuthenticator } from '../support/soft-authenticator.js';
import { authorizeUrl, browse, CookieJar, formOf, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

const MFA = 'urn:jwt-oidc:mfa';
/** A step boundary a little ahead of now: TOTP codes are computed from this clock. */
const clock = new ManualClock(Math.ceil(Date.now() / 30_000) * 30_000 + 60_000);
let p: TestProvider;
let rp: Client;

beforeAll(async () => {
  p = await startProvider({ JWT_OIDC_MFA: 'required' }, { captureLogs: true, clock });
  rp = await p.createClient({ name: 'RP', firstParty: true, redirectUris: ['https://rp.example/cb'] });
});
afterAll(() => p?.close());

const factors = () => new FactorService({ em: p.db.orm.em, clock, sealer: p.provider!.keys.encryption });
const passkeys = () => new PasskeyService({ em: p.db.orm.em, clock, rp: relyingPartyOf(p.issuer, 'Test') });
const sessionsOf = (userId: string) => p.provider!.sessions.listOfUser(userId);
const codeAt = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
const keyOf = (html: string) => /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

interface EnrolPage {
  jar: CookieJar;
  url: string;
  html: string;
  csp: string;
  /** The app's form. */
  action: string;
  csrf: string;
  /** The passkey's form: where it posts and the registration options it carries. */
  passkey: { action: string; options: { challenge: string; rp: { id: string }; user: { name: string }; excludeCredentials: unknown[]; authenticatorSelection: Record<string, string> } };
}

function enrolPage(jar: CookieJar, url: string, html: string, csp: string): EnrolPage {
  const form = /<form method="post" action="([^"]+\/enrol\/passkey)" data-passkey-options="([^"]+)" data-passkey-register>\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(html);
  expect(form, html.slice(0, 2000)).toBeTruthy();
  const app = formOf(html);
  expect(form![3]).toBe(app.csrf);
  return { jar, url, html, csp, ...app, passkey: { action: unescape(form![1]!), options: JSON.parse(unescape(form![2]!)) } };
}

/** The set-up page again (a reload): a new passkey registration, the same app key. */
async function reload(page: EnrolPage): Promise<EnrolPage> {
  const res = await browse(page.jar, page.url);
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(200);
  return enrolPage(page.jar, page.url, html, res.headers.get('content-security-policy') ?? '');
}

/** Through the password form to the set-up page; the PKCE verifier of the request. */
async function toEnrolment(user: User, jar = new CookieJar()): Promise<EnrolPage & { verifier: string }> {
  const pkce = pkcePair();
  const start = authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  const interaction = new URL((await browse(jar, start)).headers.get('location')!, start);
  const { action, csrf } = formOf(await (await browse(jar, interaction.toString())).text());
  const posted = await postForm(jar, new URL(action, interaction).toString(), { csrf, username: user.username, password: user.password });
  expect(posted.status).toBe(303);
  const url = posted.headers.get('location')!;
  expect(new URL(url).pathname).toMatch(/\/interaction\/[\w-]+\/enrol$/);
  return { ...(await reload({ jar, url } as EnrolPage)), verifier: pkce.verifier };
}

/** "Continue" on the recovery codes' page, to the client: the ID token's claims. */
async function continueToClient(jar: CookieJar, codesHtml: string, verifier: string): Promise<Record<string, unknown>> {
  const next = /<form method="get" action="([^"]+)"/.exec(codesHtml)![1]!;
  const done = await browse(jar, unescape(next));
  expect(done.status).toBe(303);
  const at = new URL(done.headers.get('location')!);
  expect(at.origin + at.pathname).toBe(rp.redirectUri);
  const token = await tokenRequest(p, { grant_type: 'authorization_code', code: at.searchParams.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp);
  expect(token.status).toBe(200);
  return decodeJwt(((await token.json()) as { id_token: string }).id_token);
}

const recoveryCodesOf = (html: string) => [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);

describe('a passkey on the set-up page', () => {
  it('PL-09 the page offers a passkey (hidden until its script runs, scripts allowed from the issuer only): its answer turns it on, shows ten recovery codes once, and the session has amr ["pwd","hwk","user","mfa"]; the next sign-in asks for it', async () => {
    const user = await p.createUser();
    const page = await toEnrolment(user);
    expect(page.html).toMatch(/<section aria-labelledby="passkey-heading" data-passkey hidden>\s*<h2 id="passkey-heading">Use a passkey<\/h2>/);
    expect(page.html).toContain('<script src="http://localhost');
    expect(page.csp).toContain("script-src 'self'");
    // As PasskeyService makes them (docs/ACCOUNTS.md "Passkeys"): the issuer's host, nothing to exclude yet, discoverable if it can be.
    expect(page.passkey.options.rp.id).toBe(new URL(p.issuer).hostname);
    expect(page.passkey.options.user.name).toBe(user.username);
    expect(page.passkey.options.excludeCredentials).toEqual([]);
    expect(page.passkey.options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'preferred' });

    const a = softAuthenticator(p.issuer);
    // An answer to another challenge is refused, said on the page (a new registration offered), and turns nothing on.
    const wrong = await postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: a.register('not-the-challenge') });
    expect(wrong.status).toBe(401);
    const wrongPage = enrolPage(page.jar, page.url, await wrong.text(), wrong.headers.get('content-security-policy') ?? '');
    expect(wrongPage.html).toContain('That passkey could not be set up.');
    expect(wrongPage.html, 'the app\'s code field is not the one in error').not.toContain('aria-invalid');
    expect(wrongPage.passkey.options.challenge, 'a failed answer spends no challenge: the same registration').toBe(page.passkey.options.challenge);
    expect(keyOf(wrongPage.html), 'the app\'s key stays').toBe(keyOf(page.html));
    expect(await factors().list(user.id)).toEqual([]);
    expect(p.logs.find((r) => r.event === 'mfa.failed' && r.actor === user.id)).toMatchObject({ outcome: 'failure', kind: 'passkey' });

    const right = await postForm(page.jar, wrongPage.passkey.action, { csrf: wrongPage.csrf, response: a.register(wrongPage.passkey.options.challenge) });
    const codesHtml = await right.text();
    expect(right.status, codesHtml.slice(0, 400)).toBe(200);
    expect(codesHtml).toContain('<h1>Save your recovery codes</h1>');
    expect(codesHtml).toContain('If you lose your passkey');
    expect(recoveryCodesOf(codesHtml)).toHaveLength(10);
    expect(right.headers.get('cache-control')).toMatch(/no-store/);
    expect((await factors().list(user.id)).map((f) => `${f.kind}:${f.name}`)).toEqual(['passkey:Passkey']);
    expect(p.logs.find((r) => r.event === 'mfa.enrolled' && r.actor === user.id)).toMatchObject({ outcome: 'success', kind: 'passkey' });

    const claims = await continueToClient(page.jar, codesHtml, page.verifier);
    expect(claims).toMatchObject({ amr: ['pwd', 'hwk', 'user', 'mfa'], acr: MFA });

    // The next sign-in: the password, then the second step with this passkey (no set-up).
    const jar = new CookieJar();
    const start = authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    const interaction = new URL((await browse(jar, start)).headers.get('location')!, start);
    const login = formOf(await (await browse(jar, interaction.toString())).text());
    const posted = await postForm(jar, new URL(login.action, interaction).toString(), { csrf: login.csrf, username: user.username, password: user.password });
    expect(new URL(posted.headers.get('location')!).pathname).toMatch(/\/mfa$/);
    const step = await (await browse(jar, posted.headers.get('location')!)).text();
    const form = /<form method="post" action="([^"]+\/mfa\/passkey)" data-passkey-options="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(step)!;
    const options = JSON.parse(unescape(form[2]!));
    expect(options.allowCredentials).toEqual([{ id: a.credentialId, type: 'public-key', transports: ['internal'] }]);
    const signedIn = await postForm(jar, unescape(form[1]!), { csrf: form[3]!, response: a.assert({ challenge: options.challenge, counter: 1 }) });
    expect(signedIn.status).toBe(303);
    expect(new URL(signedIn.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('PL-09 a burst of 10 posts of one registration answer turns on one passkey and starts one session', async () => {
    const user = await p.createUser();
    const page = await toEnrolment(user);
    const answer = softAuthenticator(p.issuer).register(page.passkey.options.challenge);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: answer })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200), statuses.join()).toHaveLength(1);
    for (const s of statuses) expect([200, 303, 400, 429], statuses.join()).toContain(s);
    for (const r of answers) expect(await r.text()).not.toMatch(/stack|Error:|node_modules/);
    expect(await factors().list(user.id)).toHaveLength(1);
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });

  it('PL-09 the registration is the interaction\'s: without its CSRF token, from another browser, or into another interaction it is refused and registers nothing', async () => {
    const user = await p.createUser();
    const page = await toEnrolment(user);
    const a = softAuthenticator(p.issuer);
    const answer = a.register(page.passkey.options.challenge);
    expect((await postForm(page.jar, page.passkey.action, { response: answer })).status).toBe(400);
    expect((await postForm(page.jar, page.passkey.action, { csrf: 'forged', response: answer })).status).toBe(400);
    expect((await postForm(new CookieJar(), page.passkey.action, { csrf: page.csrf, response: answer })).status).toBe(400);
    // Another interaction of the same user (another browser signing in): it has a registration of
    // its own, and this interaction's answer is no answer to it.
    const other = await toEnrolment(user);
    const refused = await postForm(other.jar, other.passkey.action, { csrf: other.csrf, response: answer });
    expect(refused.status).toBe(401);
    const otherAgain = enrolPage(other.jar, other.url, await refused.text(), '');
    // Another user's interaction: the answer to this one's challenge is refused there too.
    const someoneElse = await toEnrolment(await p.createUser());
    expect((await postForm(someoneElse.jar, someoneElse.passkey.action, { csrf: someoneElse.csrf, response: answer })).status).toBe(401);
    expect(await factors().list(user.id)).toEqual([]);
    expect(await sessionsOf(user.id)).toEqual([]);
    // The other interaction's own answer still works.
    const ok = await postForm(other.jar, otherAgain.passkey.action, { csrf: otherAgain.csrf, response: a.register(otherAgain.passkey.options.challenge) });
    expect(ok.status).toBe(200);
    expect(await factors().list(user.id)).toHaveLength(1);
  });

  it('PL-09 the challenge lives 5 minutes (then the page offers a new one), the set-up no longer than the interaction', async () => {
    const user = await p.createUser();
    const page = await toEnrolment(user);
    const a = softAuthenticator(p.issuer);
    clock.advance(PASSKEY_CEREMONY_MS + 1000);
    const late = await postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: a.register(page.passkey.options.challenge) });
    expect(late.status).toBe(400);
    const latePage = enrolPage(page.jar, page.url, await late.text(), '');
    expect(latePage.html).toContain('took too long');
    expect(latePage.passkey.options.challenge).not.toBe(page.passkey.options.challenge);
    expect(await factors().list(user.id)).toEqual([]);
    clock.advance(INTERACTION_TTL_MS - PASSKEY_CEREMONY_MS);
    expect((await postForm(page.jar, latePage.passkey.action, { csrf: latePage.csrf, response: a.register(latePage.passkey.options.challenge) })).status).toBe(400);
    expect(await factors().list(user.id)).toEqual([]);
  });

  it('PL-09 answers that do not verify count in the budget of the app\'s codes: beyond LOGIN_FAILURE_LIMIT, the right code is 429', async () => {
    const user = await p.createUser();
    let page: EnrolPage = await toEnrolment(user);
    const limit = p.settings.loginFailureLimit;
    for (let i = 0; i < limit; i++) {
      const res = i % 2 === 0 ? await postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: '{"id":"x"}' }) : await postForm(page.jar, page.action, { csrf: page.csrf, method: 'totp', code: 'abcdef' });
      expect(res.status).toBe(401);
      page = enrolPage(page.jar, page.url, await res.text(), '');
    }
    const refused = await postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: softAuthenticator(p.issuer).register(page.passkey.options.challenge) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    page = enrolPage(page.jar, page.url, await refused.text(), '');
    expect((await postForm(page.jar, page.action, { csrf: page.csrf, method: 'totp', code: codeAt(keyOf(page.html)) })).status).toBe(429);
    expect(await factors().list(user.id)).toEqual([]);
    clock.advance(p.settings.loginFailureWindow * 1000 + 1000);
  });

  it('PL-09 a password-only session is stepped up with a passkey set up on the page: its sid stays', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await p.provider!.sessions.create(user.id, 3600_000, ['pwd']);
    const jar = new CookieJar();
    jar.cookies.set(p.provider!.cookies.session, cookieValue);
    const pkce = pkcePair();
    const start = authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const interaction = new URL((await browse(jar, start)).headers.get('location')!, start);
    const enrol = await browse(jar, interaction.toString());
    expect(new URL(enrol.headers.get('location')!).pathname).toMatch(/\/enrol$/);
    const page = await reload({ jar, url: enrol.headers.get('location')! } as EnrolPage);
    const done = await postForm(jar, page.passkey.action, { csrf: page.csrf, response: softAuthenticator(p.issuer).register(page.passkey.options.challenge) });
    expect(done.status).toBe(200);
    const claims = await continueToClient(jar, await done.text(), pkce.verifier);
    expect(claims).toMatchObject({ amr: ['pwd', 'hwk', 'user', 'mfa'], acr: MFA, sid: session.sid });
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });
});

describe('an app and a passkey on one page', () => {
  it('PL-09 starting a passkey registration leaves the pending app enrolment, and the reverse', async () => {
    const user = await p.createUser();
    const totp = await factors().startTotp(user, 'test');
    const passkey = await passkeys().startRegistration(user);
    // The app's enrolment survived the passkey's start: it is still shown, and confirmable.
    expect((await factors().pendingTotp(user, totp.id, 'test'))?.secret).toBe(totp.secret);
    // And the passkey's survives a new app enrolment (which replaces the first app enrolment only).
    const totp2 = await factors().startTotp(user, 'test');
    expect(await factors().pendingTotp(user, totp.id, 'test')).toBeUndefined();
    const added = await passkeys().finishRegistration(user.id, passkey.id, softAuthenticator(p.issuer).register(passkey.options.challenge), 'Key');
    expect(added.recoveryCodes).toHaveLength(10);
    expect(added.amr).toEqual(['hwk', 'user']);
    // A second factor, on the account page: the app's enrolment is still there.
    await factors().confirmTotp(user.id, totp2.id, codeAt(totp2.secret), 'Phone');
    expect((await factors().list(user.id)).map((f) => f.kind).sort()).toEqual(['passkey', 'totp']);
  });

  it('PL-09 on the page: an app code confirmed after a reload (a new passkey registration) still turns the app on', async () => {
    const user = await p.createUser();
    const first = await toEnrolment(user);
    const again = await reload(first);
    expect(again.passkey.options.challenge).not.toBe(first.passkey.options.challenge);
    expect(keyOf(again.html)).toBe(keyOf(first.html));
    const res = await postForm(again.jar, again.action, { csrf: again.csrf, method: 'totp', code: codeAt(keyOf(again.html)) });
    expect(res.status).toBe(200);
    expect((await factors().list(user.id)).map((f) => f.kind)).toEqual(['totp']);
  });

  it('PL-09 two sign-ins at once (two tabs): one way turned on in the tab opened last, the other way in the first tab sends that tab to the second step; one factor, one session each way', async () => {
    for (const firstWay of ['totp', 'passkey'] as const) {
      const user = await p.createUser();
      // One browser: the interactions' cookies are path-scoped (one per interaction), which two jars stand for here.
      const tabA = await toEnrolment(user);
      const tabB = await toEnrolment(user, new CookieJar());
      const a = softAuthenticator(p.issuer);
      const viaApp = (tab: EnrolPage) => postForm(tab.jar, tab.action, { csrf: tab.csrf, method: 'totp', code: codeAt(keyOf(tab.html)) });
      const viaPasskey = (tab: EnrolPage) => postForm(tab.jar, tab.passkey.action, { csrf: tab.csrf, response: a.register(tab.passkey.options.challenge) });
      const done = firstWay === 'totp' ? await viaApp(tabB) : await viaPasskey(tabB);
      expect(done.status).toBe(200);
      const second = firstWay === 'totp' ? await viaPasskey(tabA) : await viaApp(tabA);
      expect(second.status, await second.clone().text()).toBe(303);
      const step = second.headers.get('location')!;
      expect(new URL(step).pathname).toMatch(/\/mfa$/);
      expect((await factors().list(user.id)).map((f) => f.kind)).toEqual([firstWay]);
      expect(await sessionsOf(user.id)).toHaveLength(1);
      // That tab's interaction is now at the second step: its page leads there.
      const stepPage = await browse(tabA.jar, step);
      expect(stepPage.status).toBe(200);
      expect(await stepPage.text()).toContain('<h1>Two-step sign-in</h1>');
      expect(new URL((await browse(tabA.jar, tabA.url.replace(/\/enrol$/, ''))).headers.get('location')!).pathname).toMatch(/\/mfa$/);
      clock.advance(30_000);
    }
  });

  it('PL-09 a factor of one kind added meanwhile on the account page: the page\'s enrolment of the other kind, still pending, is not turned on; the second step is asked', async () => {
    for (const meanwhile of ['totp', 'passkey'] as const) {
      const user = await p.createUser();
      const page = await toEnrolment(user);
      // The account page (the same services as GraphQL) replaces the pending enrolment of its own kind only.
      if (meanwhile === 'totp') {
        const started = await factors().startTotp(user, 'test');
        await factors().confirmTotp(user.id, started.id, codeAt(started.secret), 'Phone');
      } else {
        const started = await passkeys().startRegistration(user);
        await passkeys().finishRegistration(user.id, started.id, softAuthenticator(p.issuer).register(started.options.challenge), 'Laptop');
      }
      const res =
        meanwhile === 'totp'
          ? await postForm(page.jar, page.passkey.action, { csrf: page.csrf, response: softAuthenticator(p.issuer).register(page.passkey.options.challenge) })
          : await postForm(page.jar, page.action, { csrf: page.csrf, method: 'totp', code: codeAt(keyOf(page.html)) });
      expect(res.status, await res.clone().text()).toBe(303);
      expect(new URL(res.headers.get('location')!).pathname).toMatch(/\/mfa$/);
      expect((await factors().list(user.id)).map((f) => f.kind)).toEqual([meanwhile]);
      expect(await sessionsOf(user.id)).toEqual([]);
      clock.advance(30_000);
    }
  });

  it('PL-09 an app and a passkey confirmed at the same instant as first factors: exactly one is turned on', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await p.createUser();
      const totp = await factors().startTotp(user, 'test');
      const passkey = await passkeys().startRegistration(user);
      const results = await Promise.allSettled([
        factors().confirmTotp(user.id, totp.id, codeAt(totp.secret), 'App', { firstOnly: true }),
        passkeys().finishRegistration(user.id, passkey.id, softAuthenticator(p.issuer).register(passkey.options.challenge), 'Passkey', { firstOnly: true }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(UserError);
      expect(refused.reason).toMatchObject({ code: 'ERR_USER_EXISTS' });
      expect(await factors().list(user.id)).toHaveLength(1);
    }
  });
});
