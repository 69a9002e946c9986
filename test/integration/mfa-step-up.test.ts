/**
 * Step-up (src/provider/authorization/authorize.ts, src/interaction/second-factor.ts): an
 * authorization request whose `acr_values` (OIDC Core §3.1.2.1) names urn:jwt-oidc:mfa, made in a
 * browser whose session has a password only, asks the second factor alone and upgrades that
 * session; a user without a factor gets `unmet_authentication_requirements`; `max_age` bounds
 * both factors. Real HTTP, cookie jars, an injected clock. Rows MF-12…MF-14 of docs/SECURITY.md.
 */
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FactorService } from '../../src/users/factors.js';
import { authorizeUrl, browse, CookieJar, formOf, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

type Client = { clientId: string; clientSecret?: string; redirectUri: string };
type User = { id: string; username: string; password: string };

const MFA = 'urn:jwt-oidc:mfa';
const clock = new ManualClock(Date.now());
let p: TestProvider;
let rp: Client;

beforeAll(async () => {
  p = await startProvider({}, { clock });
  rp = await p.createClient({ name: 'RP', firstParty: true, redirectUris: ['https://rp.example/cb'] });
});
afterAll(() => p?.close());

const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });
const factors = () => new FactorService({ em: p.db.orm.em, clock, sealer: p.provider!.keys.encryption });

async function addFactor(user: User): Promise<string> {
  const started = await factors().startTotp(user, 'test');
  await factors().confirmTotp(user.id, started.id, codeAt(started.secret, -1), 'Phone');
  return started.secret;
}

/**
 * An authorization in `jar` with `extra` parameters, through whatever pages come: the password
 * form (with the user's password) and the code form (with `code()`); the pages seen and where it
 * ended at the client, with the ID token's claims when it ended with a code.
 */
async function authorizeIn(jar: CookieJar, user: User, extra: Record<string, string>, code?: () => string): Promise<{ pages: string[]; result: URL; claims?: Record<string, unknown> }> {
  const pkce = pkcePair();
  const start = authorizeUrl(p, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra });
  const pages: string[] = [];
  let res = await browse(jar, start);
  for (let hops = 0; hops < 8; hops++) {
    expect([302, 303], await res.clone().text()).toContain(res.status);
    const next = new URL(res.headers.get('location')!, start);
    if (next.origin + next.pathname === rp.redirectUri) {
      const given = next.searchParams.get('code');
      if (!given) return { pages, result: next };
      const token = await tokenRequest(p, { grant_type: 'authorization_code', code: given, redirect_uri: rp.redirectUri, code_verifier: pkce.verifier }, rp);
      expect(token.status).toBe(200);
      return { pages, result: next, claims: decodeJwt(((await token.json()) as { id_token: string }).id_token) };
    }
    res = await browse(jar, next.toString());
    if (res.status === 302 || res.status === 303) continue;
    const html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    const { action, csrf } = formOf(html);
    const target = new URL(action, next).toString();
    if (action.endsWith('/login')) {
      pages.push('password');
      res = await postForm(jar, target, { csrf, username: user.username, password: user.password });
    } else if (action.endsWith('/mfa')) {
      pages.push('code');
      res = await postForm(jar, target, { csrf, kind: 'totp', code: code!() });
    } else throw new Error(`unexpected page: ${action}`);
  }
  throw new Error('too many redirects');
}

describe('step-up', () => {
  it('MF-12 acr_values urn:jwt-oidc:mfa on a password-only session asks the code alone and upgrades that session; then nothing more is asked', async () => {
    const user = await p.createUser();
    const jar = new CookieJar();
    // Signed in before the factor existed: the session has a password only.
    const first = await authorizeIn(jar, user, {});
    expect(first.pages).toEqual(['password']);
    expect(first.claims!.amr).toEqual(['pwd']);
    const secret = await addFactor(user);

    // Without acr_values the session goes on as it is.
    expect((await authorizeIn(jar, user, {})).claims!.amr).toEqual(['pwd']);
    // prompt=none cannot ask: interaction_required (OIDC Core §3.1.2.6).
    expect((await authorizeIn(jar, user, { acr_values: MFA, prompt: 'none' })).result.searchParams.get('error')).toBe('interaction_required');

    clock.advance(30_000);
    const stepped = await authorizeIn(jar, user, { acr_values: MFA }, () => codeAt(secret));
    expect(stepped.pages).toEqual(['code']);
    expect(stepped.claims).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'], sid: first.claims!.sid, auth_time: first.claims!.auth_time });

    // The session now has both factors: asked again, nothing is shown.
    const again = await authorizeIn(jar, user, { acr_values: MFA, prompt: 'none' });
    expect(again.claims).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('MF-13 a user without any factor asked for urn:jwt-oidc:mfa: unmet_authentication_requirements, with a session or after the password', async () => {
    const user = await p.createUser();
    const fresh = await authorizeIn(new CookieJar(), user, { acr_values: MFA });
    expect(fresh.pages).toEqual(['password']);
    expect(fresh.result.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(fresh.result.searchParams.get('state')).toBe('s');

    const jar = new CookieJar();
    await authorizeIn(jar, user, {});
    const live = await authorizeIn(jar, user, { acr_values: `${MFA} urn:other` });
    expect(live.pages).toEqual([]);
    expect(live.result.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('MF-14 max_age bounds both factors: a session older than it asks the password and the code again', async () => {
    const user = await p.createUser();
    const secret = await addFactor(user);
    const jar = new CookieJar();
    clock.advance(30_000);
    const signedIn = await authorizeIn(jar, user, { acr_values: MFA }, () => codeAt(secret));
    expect(signedIn.pages).toEqual(['password', 'code']);

    clock.advance(120_000);
    const within = await authorizeIn(jar, user, { acr_values: MFA, max_age: '600' });
    expect(within.pages).toEqual([]);
    const beyond = await authorizeIn(jar, user, { acr_values: MFA, max_age: '60' }, () => codeAt(secret));
    expect(beyond.pages).toEqual(['password', 'code']);
    expect(beyond.claims).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect(Number(beyond.claims!.auth_time)).toBeGreaterThan(Number(signedIn.claims!.auth_time));
  });
});
