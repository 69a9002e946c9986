/**
 * The `claims` request parameter (OIDC Core §5.5) with openid-client as the relying party
 * (`buildAuthorizationUrl`, `buildAuthorizationUrlWithPAR`, `authorizationCodeGrant`,
 * `fetchUserInfo`, `refreshTokenGrant`; GraphQL's `Me.userinfo` beside /userinfo) through the real login, second-factor and consent pages:
 * claims asked by name at /userinfo and in the ID token, unknown ones ignored, malformed
 * parameters refused, the consent page naming them, and an essential `acr` (§5.5.1.1) enforced
 * as `acr_values` is. Rows CL-01…CL-08 of docs/SECURITY.md.
 */
import * as oc from 'openid-client';
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { FactorService } from '../../src/users/factors.js';
import { browse, CookieJar, expectNothingPersisted, formOf, gql, postForm, startProvider, type TestProvider } from '../support/provider.js';

type User = { id: string; username: string; password: string };
type Rp = { clientId: string; clientSecret?: string; redirectUri: string };

const MFA = 'urn:jwt-oidc:mfa';
const REDIRECT = 'http://127.0.0.1:8123/callback';
// Frozen at the start: TOTP steps are then chosen, not waited for (the ID tokens' iat stays in the past).
const clock = new ManualClock(Date.now());
let provider: TestProvider;
let alice: User;

beforeAll(async () => {
  provider = await startProvider({}, { clock });
  alice = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell', locale: 'en-GB', emailVerified: true });
});
afterAll(() => provider?.close());

async function relyingParty(o: { firstParty?: boolean } = {}): Promise<{ rp: Rp; config: oc.Configuration }> {
  const rp = await provider.createClient({ firstParty: o.firstParty ?? true, redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token'] });
  const config = await oc.discovery(new URL(provider.issuer), rp.clientId, {}, oc.ClientSecretBasic(rp.clientSecret!), { execute: [oc.allowInsecureRequests] });
  return { rp, config };
}

interface Flow {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

async function flow(config: oc.Configuration, claims: unknown, extra: Record<string, string> = {}, par = false): Promise<Flow> {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const params = { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...(claims !== undefined ? { claims: typeof claims === 'string' ? claims : JSON.stringify(claims) } : {}), ...extra };
  const url = par ? await oc.buildAuthorizationUrlWithPAR(config, params) : oc.buildAuthorizationUrl(config, params);
  return { url, verifier, state, nonce };
}

/**
 * A browser at `url`: the password form, the code form (with `code()`), the consent page (its
 * HTML kept, answered with `consent`), until the client's redirect URI; the pages seen, where it ended.
 */
async function browser(url: URL, user: User, o: { jar?: CookieJar; code?: () => string; consent?: 'allow' | 'deny' } = {}): Promise<{ pages: string[]; consentHtml?: string; location: URL }> {
  const jar = o.jar ?? new CookieJar();
  const pages: string[] = [];
  let consentHtml: string | undefined;
  let res = await browse(jar, url.toString());
  for (let hops = 0; hops < 10; hops++) {
    expect([302, 303], await res.clone().text()).toContain(res.status);
    const next = new URL(res.headers.get('location')!, url);
    if (!next.pathname.includes('/interaction/')) return { pages, consentHtml, location: next };
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
      res = await postForm(jar, target, { csrf, kind: 'totp', code: o.code!() });
    } else if (action.endsWith('/consent')) {
      pages.push('consent');
      consentHtml = html;
      res = await postForm(jar, target, { csrf, decision: o.consent ?? 'allow' });
    } else throw new Error(`unexpected page: ${action}`);
  }
  throw new Error('too many redirects');
}

async function tokens(config: oc.Configuration, f: Flow, location: URL) {
  return oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: f.verifier, expectedState: f.state, expectedNonce: f.nonce, idTokenExpected: true });
}

describe('CL the claims parameter with openid-client', () => {
  it('CL-01 discovery says claims_parameter_supported, and lists the claims it can release', async () => {
    const { config } = await relyingParty();
    const meta = config.serverMetadata();
    expect(meta.claims_parameter_supported).toBe(true);
    expect(meta.claims_supported).toEqual(expect.arrayContaining(['email', 'given_name', 'locale', 'acr']));
  });

  it('CL-02 claims asked by name (null or essential) with scope=openid alone: the userinfo ones at /userinfo only, the id_token ones in the ID token only; unknown claims and members ignored', async () => {
    const { config } = await relyingParty();
    const f = await flow(config, {
      userinfo: { email: null, family_name: { essential: true }, 'urn:example:unknown': null, nickname: { essential: true }, sub: null },
      id_token: { given_name: { essential: true }, locale: null, website: null, iss: { value: 'https://evil.example' }, auth_time: { essential: true } },
      unknown_member: { email: null },
    });
    const { location } = await browser(f.url, alice);
    const set = await tokens(config, f, location);
    const id = set.claims()!;
    expect(id).toMatchObject({ iss: provider.issuer, sub: alice.id, given_name: 'Alice', locale: 'en-GB' });
    expect(typeof id.auth_time).toBe('number');
    for (const absent of ['email', 'family_name', 'website', 'name', 'preferred_username', 'email_verified']) expect(id, absent).not.toHaveProperty(absent);
    expect(set.scope).toBe('openid');

    const info = await oc.fetchUserInfo(config, set.access_token, alice.id);
    // Only what was asked by name, besides sub: not email_verified, not the rest of profile.
    expect(info).toEqual({ sub: alice.id, email: `${alice.username}@example.com`, family_name: 'Liddell' });
    // GraphQL's Me.userinfo is what /userinfo answers for the same token.
    const me = await gql(provider, '{ me { userinfo } }', undefined, set.access_token);
    expect(me.body.data?.me.userinfo, me.text).toEqual(info);
  });

  it('CL-03 claims by name are merged with the scope-based ones; a claim the user has no value for is left out, essential or not', async () => {
    const { config } = await relyingParty();
    const f = await flow(config, { userinfo: { phone_number: { essential: true }, email: null }, id_token: { email: null, address: null } }, { scope: 'openid profile offline_access' });
    const { location } = await browser(f.url, alice);
    const set = await tokens(config, f, location);
    expect(set.claims()).toMatchObject({ email: `${alice.username}@example.com` });
    expect(set.claims()).not.toHaveProperty('address');
    const info = await oc.fetchUserInfo(config, set.access_token, alice.id);
    expect(info).toMatchObject({ sub: alice.id, name: 'Alice Liddell', given_name: 'Alice', preferred_username: alice.username, email: `${alice.username}@example.com` });
    expect(info).not.toHaveProperty('phone_number');
    expect(info).not.toHaveProperty('email_verified');

    // A refresh keeps what the grant asked: the ID token has its email again.
    const refreshed = await oc.refreshTokenGrant(config, set.refresh_token!);
    expect(decodeJwt(refreshed.id_token!)).toMatchObject({ sub: alice.id, email: `${alice.username}@example.com` });
    expect(await oc.fetchUserInfo(config, refreshed.access_token, alice.id)).toMatchObject({ email: `${alice.username}@example.com` });
  });

  it('CL-02 hybrid and implicit: the ID token from the authorization endpoint carries the id_token claims (and, without an access token, the scope-based ones)', async () => {
    const rp = await provider.createClient({ firstParty: true, redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'implicit'], responseTypes: ['code id_token', 'id_token'] });
    for (const responseType of ['code id_token', 'id_token']) {
      const url = new URL(`${provider.issuer}/authorize`);
      const params = { client_id: rp.clientId, redirect_uri: REDIRECT, response_type: responseType, scope: 'openid email', nonce: 'n-1', state: 's-1', code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256', claims: JSON.stringify({ id_token: { family_name: null, unknown: null } }) };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const { location } = await browser(url, alice);
      const fragment = new URLSearchParams(location.hash.slice(1));
      const id = decodeJwt(fragment.get('id_token')!);
      expect(id, responseType).toMatchObject({ sub: alice.id, nonce: 'n-1', family_name: 'Liddell', email: `${alice.username}@example.com` });
      expect(id).not.toHaveProperty('given_name');
      expect(id).not.toHaveProperty('unknown');
    }
  });

  it('CL-04 the claims parameter pushed to /par: the same claims at /userinfo and in the ID token', async () => {
    const { config } = await relyingParty();
    const f = await flow(config, { userinfo: { email: null }, id_token: { family_name: null } }, {}, true);
    expect([...f.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const { location } = await browser(f.url, alice);
    const set = await tokens(config, f, location);
    expect(set.claims()).toMatchObject({ family_name: 'Liddell' });
    expect(set.claims()).not.toHaveProperty('email');
    expect(await oc.fetchUserInfo(config, set.access_token, alice.id)).toEqual({ sub: alice.id, email: `${alice.username}@example.com` });
  });

  it('CL-05 the consent page lists the claims asked by name in their scope\'s words; allowed once, not asked again; denied, access_denied and no claim', async () => {
    const { config } = await relyingParty({ firstParty: false });
    const user = await provider.createUser({ givenName: 'Carol' });
    const asked = { userinfo: { email: null }, id_token: { given_name: null } };
    const denied = await flow(config, asked);
    const no = await browser(denied.url, user, { consent: 'deny' });
    expect(no.pages).toEqual(['password', 'consent']);
    expect(no.location.searchParams.get('error')).toBe('access_denied');

    const f = await flow(config, asked);
    const yes = await browser(f.url, user);
    expect(yes.pages).toEqual(['password', 'consent']);
    for (const words of ['Confirm your identity', 'Your email address', 'See your name, username, picture and language']) expect(yes.consentHtml).toContain(words);
    expect((await tokens(config, f, yes.location)).claims()).toMatchObject({ given_name: 'Carol' });

    // Consent on record covers them now; a claim of another scope asks again, and names it.
    const jar = new CookieJar();
    const again = await flow(config, asked);
    expect((await browser(again.url, user, { jar })).pages).toEqual(['password']);
    const wider = await flow(config, { userinfo: { phone_number: null } });
    const asks = await browser(wider.url, user, { jar });
    expect(asks.pages).toEqual(['consent']);
    expect(asks.consentHtml).toContain('Your phone number');
  });

  it('CL-06 a malformed claims parameter: invalid_request at the redirect URI with state, nothing persisted; at /par a 400', async () => {
    const { config } = await relyingParty();
    const malformed = ['{', '[]', 'null', '"x"', '{"userinfo":"x"}', '{"id_token":null}', '{"id_token":{"email":"x"}}', '{"id_token":{"email":[]}}', '{"userinfo":{"email":{"essential":"yes"}}}', '{"userinfo":{"email":{"values":"x"}}}', '{"id_token":{"acr":{"values":[1]}}}', '{"id_token":{"acr":{"value":"a b"}}}', `{"userinfo":{"email":{"value":"${'x'.repeat(4100)}"}}}`];
    for (const claims of malformed) {
      const f = await flow(config, claims);
      const res = await expectNothingPersisted(provider, () => fetch(f.url, { redirect: 'manual' }));
      expect([302, 303], claims.slice(0, 40)).toContain(res.status);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('error'), claims.slice(0, 40)).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe(f.state);
    }
    for (const claims of malformed.slice(0, 4)) {
      await expect(flow(config, claims, {}, true)).rejects.toMatchObject({ error: 'invalid_request' });
    }
  });

  describe('an acr asked through the claims parameter (§5.5.1.1)', () => {
    const factors = () => new FactorService({ em: provider.db.orm.em, clock, sealer: provider.provider!.keys.encryption });
    const codeAt = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) + steps * 30 });
    async function withFactor(): Promise<{ user: User; secret: string }> {
      const user = await provider.createUser();
      const started = await factors().startTotp(user, 'test');
      await factors().confirmTotp(user.id, started.id, codeAt(started.secret, -1), 'Phone');
      return { user, secret: started.secret };
    }

    it('CL-07 essential acr urn:jwt-oidc:mfa: a user with a factor is asked for it after the password (a value, values, or none); the ID token states it', async () => {
      const { config } = await relyingParty();
      for (const acr of [{ essential: true, value: MFA }, { essential: true, values: ['urn:other', MFA] }, { essential: true }]) {
        const fresh = await withFactor();
        const f = await flow(config, { id_token: { acr } });
        const signed = await browser(f.url, fresh.user, { code: () => codeAt(fresh.secret) });
        expect(signed.pages, JSON.stringify(acr)).toEqual(['password', 'code']);
        expect((await tokens(config, f, signed.location)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
      }
    });

    it('CL-07 essential acr urn:jwt-oidc:mfa on a password-only session asks the code alone; prompt=none cannot ask', async () => {
      const { config } = await relyingParty();
      const user = await provider.createUser();
      const jar = new CookieJar();
      const first = await flow(config, undefined);
      expect((await browser(first.url, user, { jar })).pages).toEqual(['password']);
      const started = await factors().startTotp(user, 'test');
      await factors().confirmTotp(user.id, started.id, codeAt(started.secret, -1), 'Phone');

      const asked = { id_token: { acr: { essential: true, value: MFA } } };
      const none = await flow(config, asked, { prompt: 'none' });
      expect((await browser(none.url, user, { jar })).location.searchParams.get('error')).toBe('interaction_required');
      const f = await flow(config, asked);
      const stepped = await browser(f.url, user, { jar, code: () => codeAt(started.secret) });
      expect(stepped.pages).toEqual(['code']);
      expect((await tokens(config, f, stepped.location)).claims()).toMatchObject({ acr: MFA });
    });

    it('CL-08 an essential acr the sign-in cannot reach: unmet_authentication_requirements (no factor; a value never stated); a voluntary one is no refusal', async () => {
      const { config } = await relyingParty();
      const user = await provider.createUser();
      for (const acr of [{ essential: true, value: MFA }, { essential: true, values: ['urn:example:gold'] }, { essential: true }]) {
        const f = await flow(config, { id_token: { acr } });
        const { pages, location } = await browser(f.url, user);
        expect(pages).toEqual(['password']);
        expect(location.searchParams.get('error'), JSON.stringify(acr)).toBe('unmet_authentication_requirements');
        expect(location.searchParams.get('state')).toBe(f.state);
        expect(location.searchParams.has('code')).toBe(false);
      }
      // Voluntary (not essential) and unreachable: as acr_values, a sign-in without an acr.
      const f = await flow(config, { id_token: { acr: { values: ['urn:example:gold'] } } });
      const { location } = await browser(f.url, user);
      const id = (await tokens(config, f, location)).claims()!;
      expect(id.sub).toBe(user.id);
      expect(id).not.toHaveProperty('acr');
    });
  });
});
