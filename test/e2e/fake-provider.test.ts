/**
 * TYPE=fake against real peers: openid-client's code flow with PKCE through the fake's login
 * step (any sub, extra claims), single-use per-login codes, userinfo, prompt=none, end-session,
 * and tokens that @jwt-oidc/apollo's verification accepts. The fake mode is the provider with
 * another login step: its token endpoint takes form bodies only, as the provider's does.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteIssuer } from '@jwt-oidc/apollo';
import { loadSettings } from '../../src/config/load.js';
import { browse, CookieJar, fakeLoginPage, fakeSignIn, gql, pkcePair } from '../support/provider.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CLIENT_ID = 'my-spa';
const DATA_DIR = join(tmpdir(), `jwt-oidc-fake-${process.pid}`);
const REDIRECT = 'http://localhost:5173/callback';


describe('the fake provider', () => {
  let fake: TestServer;
  let issuer: string;
  let config: oc.Configuration;

  beforeAll(async () => {
    fake = await startTestServer({ JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: CLIENT_ID, JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_DATA_DIR: DATA_DIR });
    issuer = fake.settings.issuer!;
    config = await oc.discovery(new URL(issuer), CLIENT_ID, {}, oc.None(), { execute: [oc.allowInsecureRequests] });
    oc.enableNonRepudiationChecks(config);
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  it('logs in with openid-client (code + PKCE) as any sub with extra claims; userinfo returns them', async () => {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid email profile', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
    const callback = await fakeSignIn(new CookieJar(), url.toString(), { sub: 'alice', email: 'alice@example.com', name: 'Alice', claims: '{"roles":["admin"],"tenant":"t1"}' });
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    const tokens = await oc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ iss: issuer, sub: 'alice', aud: CLIENT_ID, email: 'alice@example.com', name: 'Alice', roles: ['admin'], tenant: 't1', nonce });
    const info = await oc.fetchUserInfo(config, tokens.access_token, 'alice');
    expect(info).toMatchObject({ sub: 'alice', email: 'alice@example.com', roles: ['admin'] });
  });

  it('access tokens are RFC 9068 JWTs that the @jwt-oidc/apollo verification accepts', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const callback = await fakeSignIn(jar, `${issuer}/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`, { sub: 'bob' });
    const fields = { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier };
    // A JSON body is refused as by the provider (RFC 6749 §4.1.3: form-encoded), and the code survives it.
    const json = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    const res = await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams(fields) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string };
    // The provider's access tokens: the issuer is their audience (userinfo, GraphQL).
    const remote = new RemoteIssuer({ issuer, audience: issuer, allowInsecureRequests: true });
    const verified = await remote.verify(body.access_token);
    expect(verified).toMatchObject({ sub: 'bob', clientId: CLIENT_ID, scopes: ['openid'] });
    expect(await remote.userinfo(verified)).toEqual({ sub: 'bob' });

    // /graphql of the fake answers `me` for its own access tokens, with the identity as its user.
    const me = await gql(fake, '{ me { sub clientId scopes userinfo user { id } } }', undefined, body.access_token);
    expect(me.body).toEqual({ data: { me: { sub: 'bob', clientId: CLIENT_ID, scopes: ['openid'], userinfo: { sub: 'bob' }, user: { id: 'bob' } } } });
    const forged = await gql(fake, '{ me { sub } }', undefined, `${body.access_token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
  });

  it('gives every login its own single-use code, also when logins run concurrently', async () => {
    const logins = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const { verifier, challenge } = pkcePair();
        const callback = await fakeSignIn(new CookieJar(), `${issuer}/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`, { sub: `user-${i}` });
        return { code: callback.searchParams.get('code')!, verifier, sub: `user-${i}` };
      }),
    );
    expect(new Set(logins.map((l) => l.code)).size).toBe(8);
    const redeem = (l: (typeof logins)[number]) =>
      fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: l.code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: l.verifier }) });
    for (const l of logins) {
      const res = await redeem(l);
      expect(res.status).toBe(200);
      const { id_token } = (await res.json()) as { id_token: string };
      expect(JSON.parse(Buffer.from(id_token.split('.')[1]!, 'base64url').toString()).sub).toBe(l.sub);
    }
    const again = await redeem(logins[0]!);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses another client_id, a redirect_uri off the allowed origins (as a page), a missing PKCE challenge (as a redirect)', async () => {
    const base = { redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st' };
    const other = await fetch(`${issuer}/authorize?${new URLSearchParams({ ...base, client_id: 'someone-else', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('unknown client');
    const evil = await fetch(`${issuer}/authorize?${new URLSearchParams({ ...base, client_id: CLIENT_ID, redirect_uri: 'https://evil.example/cb' })}`, { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    const noPkce = await fetch(`${issuer}/authorize?${new URLSearchParams({ ...base, client_id: CLIENT_ID })}`, { redirect: 'manual' });
    expect(noPkce.status).toBe(303);
    const location = new URL(noPkce.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('st');
  });

  it('prompt=none signs in as the browser\'s last identity; after end-session it answers login_required', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' };
    await fakeSignIn(jar, `${issuer}/authorize?${new URLSearchParams(params)}`, { sub: 'carol' });
    const silent = await browse(jar, `${issuer}/authorize?${new URLSearchParams({ ...params, prompt: 'none' })}`);
    expect(silent.status).toBe(303);
    const code = new URL(silent.headers.get('location')!).searchParams.get('code')!;
    expect(code).toBeTruthy();
    const tokens = (await (await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier }) })).json()) as { id_token?: string };

    // Without an ID token hint the provider asks first (RP-Initiated Logout 1.0 §2); with one it signs out at once.
    const unverified = await browse(jar, `${issuer}/session/end?${new URLSearchParams({ post_logout_redirect_uri: 'http://localhost:5173/', state: 'x' })}`);
    expect(unverified.status).toBe(200);
    expect(await unverified.text()).toContain('name="logout"');
    const out = await browse(jar, `${issuer}/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:5173/', state: 'x' })}`);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('http://localhost:5173/?state=x');
    const after = await browse(jar, `${issuer}/authorize?${new URLSearchParams({ ...params, prompt: 'none' })}`);
    expect(new URL(after.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it('lists recent identities on the login page, one click signs in again', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const url = `${issuer}/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    await fakeSignIn(jar, url, { sub: 'dave', email: 'dave@example.com' });
    // Another browser (this one has a session now, and would be signed in at once).
    const { html } = await fakeLoginPage(new CookieJar(), url);
    const id = /<input type="hidden" name="identity" value="([^"]+)"><button type="submit" class="secondary">dave · dave@example.com</.exec(html)?.[1];
    expect(id).toBeTruthy();
    const callback = await fakeSignIn(new CookieJar(), `${url}&prompt=login`, { identity: id! });
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('shows form errors on the page: a bad claims JSON, a reserved claim', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const url = `${issuer}/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    let { html: page, url: pageUrl } = await fakeLoginPage(jar, url);
    for (const claims of ['{not json', '{"iss":"https://evil.example"}', '[1,2]']) {
      const action = /<form method="post" action="([^"]+)">/.exec(page)![1]!.replace(/&amp;/g, '&');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const res = await browse(jar, new URL(action, pageUrl).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, sub: 'eve', claims }) });
      expect(res.status).toBe(400);
      const html = await res.text();
      page = html;
      expect(html).toMatch(/role="alert" id="form-error"/);
      // The field in error points at the message; the others do not.
      expect(html).toMatch(/<textarea id="claims"[^>]*aria-invalid="true" aria-describedby="form-error"/);
      expect(html).not.toMatch(/<input id="sub"[^>]*aria-invalid/);
    }
  });

  it('refuses to start with NODE_ENV=production unless JWT_OIDC_FAKE_ALLOW_PRODUCTION=true', () => {
    const env = { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: CLIENT_ID, NODE_ENV: 'production', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_ISSUER: 'https://fake.example' };
    expect(() => loadSettings({ env })).toThrow(/fake provider .* refuses to start when NODE_ENV=production/);
    expect(loadSettings({ env: { ...env, JWT_OIDC_FAKE_ALLOW_PRODUCTION: 'true' } }).settings.type).toBe('fake');
  });
});
