/**
 * The second step of a sign-in (src/interaction/second-factor.ts), over real HTTP with cookie
 * jars as a browser: a user with a confirmed TOTP factor gets no session from the password
 * alone; the code of the app (or a recovery code) starts it, with amr and acr in the tokens
 * (RFC 8176, OIDC Core §2). Codes accepted once (a burst at two instances on one database),
 * attempts throttled, CSRF as the other forms. Rows MF-07…MF-11 of docs/SECURITY.md.
 */
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FactorService } from '../../src/users/factors.js';
import { authorizeUrl, browse, CookieJar, formOf, pkcePair, postForm, startInstanceOf, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

const clock = new ManualClock(Date.now());
let p: TestProvider;
let second: TestProvider;
let rp: Client;

beforeAll(async () => {
  p = await startProvider({}, { captureLogs: true, clock });
  second = await startInstanceOf(p);
  rp = await p.createClient({ name: 'RP', firstParty: true, redirectUris: ['https://rp.example/cb'] });
});
afterAll(async () => {
  await second?.close();
  await p?.close();
});

const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });
const factors = () => new FactorService({ em: p.db.orm.em, clock, sealer: p.provider!.keys.encryption });

/** A user with a confirmed authenticator app: its secret and recovery codes. */
async function withFactor(): Promise<{ user: User; secret: string; codes: string[] }> {
  const user = await p.createUser();
  const started = await factors().startTotp(user, 'test');
  // Enrolment spends the step of its code: the sign-ins below use the next steps.
  const codes = await factors().confirmTotp(user.id, started.id, codeAt(started.secret, -1), 'Phone');
  return { user, secret: started.secret, codes };
}

interface Step {
  jar: CookieJar;
  verifier: string;
  /** The response to the password's post. */
  res: Response;
}

/** A browser through the password form at `at` (an instance): the response to the post. */
async function passwordStep(user: User, at: TestProvider = p, jar = new CookieJar()): Promise<Step> {
  const pkce = pkcePair();
  const start = authorizeUrl(at, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile', state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  let res = await browse(jar, start);
  const page = new URL(res.headers.get('location')!, start);
  res = await browse(jar, page.toString());
  const { action, csrf } = formOf(await res.text());
  res = await postForm(jar, new URL(action, page).toString(), { csrf, username: user.username, password: user.password });
  return { jar, verifier: pkce.verifier, res };
}

/** The second-factor page the password step led to: its form's action and CSRF token, and the page. */
async function codePage(step: Step, query = ''): Promise<{ action: string; csrf: string; html: string; status: number }> {
  expect(step.res.status).toBe(303);
  const url = new URL(step.res.headers.get('location')!);
  expect(url.pathname).toMatch(/\/interaction\/[\w-]+\/mfa$/);
  const res = await browse(step.jar, url.toString() + query);
  const html = await res.text();
  return { ...formOf(html), html, status: res.status };
}

/** Follows redirects to the client and redeems the code: the ID token's claims. */
async function tokensAfter(step: Step, res: Response): Promise<Record<string, unknown>> {
  let current = res;
  for (let hops = 0; hops < 4; hops++) {
    expect([302, 303], await current.clone().text()).toContain(current.status);
    const location = new URL(current.headers.get('location')!);
    if (location.origin + location.pathname === rp.redirectUri) {
      const code = location.searchParams.get('code');
      expect(code, location.toString()).toBeTruthy();
      const token = await tokenRequest(p, { grant_type: 'authorization_code', code: code!, redirect_uri: rp.redirectUri, code_verifier: step.verifier }, rp);
      expect(token.status).toBe(200);
      return decodeJwt(((await token.json()) as { id_token: string }).id_token);
    }
    current = await browse(step.jar, location.toString());
  }
  throw new Error('too many redirects');
}

const sessionCookie = (jar: CookieJar) => [...jar.cookies.keys()].find((k) => k.includes('jwt-oidc.session'));

describe('the second step of a sign-in', () => {
  it('MF-07 a user without a factor signs in as before: amr ["pwd"], no acr; discovery lists the acr values', async () => {
    const user = await p.createUser();
    const step = await passwordStep(user);
    const claims = await tokensAfter(step, step.res);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBeUndefined();
    const discovery = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery.acr_values_supported).toEqual(['urn:jwt-oidc:mfa']);
    expect(discovery.claims_supported).toContain('acr');
  });

  it('MF-07 the right password of a user with a factor starts no session; the app\'s code does: amr ["pwd","otp","mfa"], acr urn:jwt-oidc:mfa', async () => {
    const { user, secret } = await withFactor();
    const step = await passwordStep(user);
    expect(sessionCookie(step.jar), 'no session from the password alone').toBeUndefined();
    const page = await codePage(step);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Two-step sign-in</h1>');
    expect(page.html).toContain('autocomplete="one-time-code"');
    // The interaction's page itself leads there too (a reload, the back button).
    const interaction = new URL(step.res.headers.get('location')!).toString().replace(/\/mfa$/, '');
    expect((await browse(step.jar, interaction)).headers.get('location')).toBe(new URL(step.res.headers.get('location')!).toString());

    const wrong = await postForm(step.jar, page.action, { csrf: page.csrf, kind: 'totp', code: codeAt(secret) === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain('That code is not right.');
    expect(again).toContain('aria-invalid="true"');
    expect(sessionCookie(step.jar)).toBeUndefined();

    const retry = formOf(again);
    const right = await postForm(step.jar, retry.action, { csrf: retry.csrf, kind: 'totp', code: codeAt(secret) });
    expect(sessionCookie(step.jar)).toBeDefined();
    const claims = await tokensAfter(step, right);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('urn:jwt-oidc:mfa');
    expect(p.logs.find((r) => r.event === 'mfa.verified' && r.actor === user.id)).toMatchObject({ outcome: 'success', kind: 'totp' });
    expect(p.logs.find((r) => r.event === 'mfa.failed' && r.actor === user.id)).toMatchObject({ outcome: 'failure' });
    expect((await factors().list(user.id))[0]!.lastUsedAt).not.toBeNull();

    // The same code again, in another sign-in: refused (RFC 6238 §5.2).
    const other = await passwordStep(user);
    const otherPage = await codePage(other);
    expect((await postForm(other.jar, otherPage.action, { csrf: otherPage.csrf, kind: 'totp', code: codeAt(secret) })).status).toBe(401);
  });

  it('MF-08 a recovery code signs in once: amr ["pwd","mfa"]', async () => {
    const { user, codes } = await withFactor();
    const step = await passwordStep(user);
    const page = await codePage(step, '?recovery=1');
    expect(page.html).toContain('Recovery code');
    const res = await postForm(step.jar, page.action, { csrf: page.csrf, kind: 'recovery', code: codes[0]!.toLowerCase() });
    const claims = await tokensAfter(step, res);
    expect(claims.amr).toEqual(['pwd', 'mfa']);
    expect(claims.acr).toBe('urn:jwt-oidc:mfa');

    const again = await passwordStep(user);
    const againPage = await codePage(again, '?recovery=1');
    const refused = await postForm(again.jar, againPage.action, { csrf: againPage.csrf, kind: 'recovery', code: codes[0]! });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('used before');
  });

  it('MF-09 a burst of 10 posts of one code, in 10 sign-ins at two instances on one database, signs in exactly once', async () => {
    const { user, secret } = await withFactor();
    const steps = await Promise.all(Array.from({ length: 10 }, (_, i) => passwordStep(user, i % 2 ? second : p)));
    const pages = await Promise.all(steps.map((s) => codePage(s)));
    const code = codeAt(secret);
    const answers = await Promise.all(steps.map((s, i) => postForm(s.jar, pages[i]!.action, { csrf: pages[i]!.csrf, kind: 'totp', code })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    for (const s of statuses) expect([303, 401, 429]).toContain(s);
    for (const r of answers) expect(await r.text()).not.toMatch(/stack|Error:|node_modules/);
  });

  it('MF-10 wrong codes are throttled per account, across instances: then even the right one is 429 with Retry-After', async () => {
    const { user, secret } = await withFactor();
    const limit = p.settings.loginFailureLimit;
    for (let i = 0; i < limit; i++) {
      const step = await passwordStep(user, i % 2 ? second : p);
      const page = await codePage(step);
      expect((await postForm(step.jar, page.action, { csrf: page.csrf, kind: 'totp', code: 'abcdef' })).status).toBe(401);
    }
    const step = await passwordStep(user, second);
    const page = await codePage(step);
    const refused = await postForm(step.jar, page.action, { csrf: page.csrf, kind: 'totp', code: codeAt(secret) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sessionCookie(step.jar)).toBeUndefined();
  });

  it('MF-11 a post without the interaction\'s cookie or CSRF token is 400 and spends nothing; the step ends with the interaction', async () => {
    const { user, secret } = await withFactor();
    const step = await passwordStep(user);
    const page = await codePage(step);
    expect((await postForm(new CookieJar(), page.action, { csrf: page.csrf, kind: 'totp', code: codeAt(secret) })).status).toBe(400);
    expect((await postForm(step.jar, page.action, { csrf: 'forged', kind: 'totp', code: codeAt(secret) })).status).toBe(400);
    // The code was not spent: the right post still signs in.
    const res = await postForm(step.jar, page.action, { csrf: page.csrf, kind: 'totp', code: codeAt(secret) });
    expect((await tokensAfter(step, res)).amr).toEqual(['pwd', 'otp', 'mfa']);

    const late = await passwordStep(user);
    const latePage = await codePage(late);
    clock.advance(10 * 60_000 + 1000);
    const expired = await postForm(late.jar, latePage.action, { csrf: latePage.csrf, kind: 'totp', code: codeAt(secret) });
    expect(expired.status).toBe(400);
    expect(sessionCookie(late.jar)).toBeUndefined();
  });
});
