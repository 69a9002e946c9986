/** Provider behaviours beyond the security rows: consent, prompts, serializer, CORS, per-client options. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, browse, CookieJar, formOf, login, pkcePair, postForm, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-serializer-'));
  const serializer = join(dir, 'serializer.mjs');
  writeFileSync(serializer, `export default (user, scopes) => ({ nickname: user.username.toUpperCase(), scopes_seen: scopes.join(' '), email: user.email, password: 'must never leave', sub: 'forged' });`);
  provider = await startProvider({ JWT_OIDC_USERINFO_SERIALIZER: serializer, JWT_OIDC_USERINFO_SERIALIZER_EXCLUDE: 'password,email' });
});
afterAll(() => provider?.close());

const code = (location: URL) => location.searchParams.get('code');

describe('consent', () => {
  it('is asked once, merged with later grants, and skipped when everything asked for was granted', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient();
    const jar = new CookieJar();
    // First: openid profile → consent page.
    const first = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile', jar });
    expect(code(first.location)).toBeTruthy();
    // Then openid email: a consent page again (email is new), and it lists what is asked.
    let res = await browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid email', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    res = await browse(jar, res.headers.get('location')!);
    const html = await res.text();
    expect(html).toContain('Your email address');
    const { action, csrf } = formOf(html);
    res = await postForm(jar, action, { csrf, decision: 'allow' });
    expect(code(new URL(res.headers.get('location')!))).toBeTruthy();
    // Now all three were granted (merged, not replaced): no page at all.
    res = await browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile email', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    expect(code(new URL(res.headers.get('location')!))).toBeTruthy();
  });

  it('deny sends access_denied to the client, with state and iss, and no code', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient();
    const { location } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, consent: 'deny', state: 'keep-me' });
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('keep-me');
    expect(location.searchParams.get('iss')).toBe(provider.issuer);
    expect(code(location)).toBeNull();
  });

  it('is never asked for a first-party client', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true });
    const jar = new CookieJar();
    let res = await browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    res = await browse(jar, res.headers.get('location')!);
    const { action, csrf } = formOf(await res.text());
    res = await postForm(jar, action, { csrf, username: user.username, password: user.password });
    expect(res.status).toBe(303);
    expect(code(new URL(res.headers.get('location')!))).toBeTruthy();
  });
});

describe('prompts, max_age and hints', () => {
  it('prompt=none answers login_required without a session and a code with one', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true });
    const params = (jar: CookieJar) => browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', prompt: 'none', state: 'pn', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    const anonymous = new URL((await params(new CookieJar())).headers.get('location')!);
    expect(anonymous.searchParams.get('error')).toBe('login_required');
    expect(anonymous.searchParams.get('state')).toBe('pn');
    const { jar } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username });
    expect(code(new URL((await params(jar)).headers.get('location')!))).toBeTruthy();
  });

  it('prompt=login and max_age=0 show the login page despite a session; auth_time moves forward', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ firstParty: true });
    const { jar, location } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username });
    const firstCode = code(location)!;
    const redeemed = await tokenRequest(provider, { grant_type: 'authorization_code', code: firstCode, redirect_uri: rp.redirectUri, code_verifier: 'x'.repeat(43) }, rp);
    expect(redeemed.status).toBe(400); // (wrong verifier: just to show the code was real)
    const start = (extra: Record<string, string>) =>
      browse(jar, authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...extra }));
    // Control: the session alone skips the login page.
    expect(new URL((await start({})).headers.get('location')!).pathname).toBe(new URL(rp.redirectUri).pathname);
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 1100));
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }, { prompt: 'select_account' }] as Record<string, string>[]) {
      const res = await start(extra);
      expect(new URL(res.headers.get('location')!).pathname, JSON.stringify(extra)).toMatch(/\/interaction\//);
    }
    const again = await tokensFor(provider, rp, user);
    // tokensFor logs in afresh (a new browser): auth_time is that login's, after the first one.
    expect((decodeJwt(again.id_token!).auth_time as number) * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('login_hint prefills the username; POST /authorize works like GET', async () => {
    const rp = await provider.createClient();
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    let res = await postForm(jar, `${provider.issuer}/authorize`, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', login_hint: 'hinted.user', code_challenge: challenge, code_challenge_method: 'S256' });
    expect(res.status).toBe(303);
    res = await browse(jar, res.headers.get('location')!);
    expect(await res.text()).toMatch(/name="username"[^>]*value="hinted.user"/);
  });
});

describe('userinfo serializer and exclusions', () => {
  it('uses USERINFO_SERIALIZER, drops USERINFO_SERIALIZER_EXCLUDE fields and any password, and keeps the real sub', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient();
    const tokens = await tokensFor(provider, rp, user, 'openid profile email');
    const res = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: user.id, nickname: user.username.toUpperCase(), scopes_seen: 'openid profile email' });
  });
});

describe('per-client options', () => {
  it('signs ID tokens with the client\'s id_token_signed_response_alg and adds its audiences to access tokens', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ idTokenSignedResponseAlg: 'RS256', audiences: ['https://api.example'] });
    const tokens = await tokensFor(provider, rp, user);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ES256');
    expect(decodeJwt(tokens.access_token).aud).toEqual([provider.issuer, 'https://api.example']);
  });

  it('a public client redeems its code with PKCE and no secret', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ public: true });
    const { location, verifier } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username });
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: code(location)!, redirect_uri: rp.redirectUri, code_verifier: verifier! }, { clientId: rp.clientId });
    expect(res.status).toBe(200);
  });
});

describe('CORS', () => {
  it('allows exactly the registered origins on token, userinfo, discovery, JWKS and GraphQL', async () => {
    await provider.createClient({ allowedOrigins: ['https://spa.example'] });
    for (const path of ['/token', '/userinfo', '/.well-known/openid-configuration', '/jwks', '/graphql']) {
      const url = path === '/graphql' ? `${provider.url}/graphql` : `${provider.issuer}${path}`;
      const ok = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST' } });
      expect(ok.status, path).toBe(204);
      expect(ok.headers.get('access-control-allow-origin'), path).toBe('https://spa.example');
      expect(ok.headers.get('access-control-allow-credentials'), path).toBeNull();
      const evil = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });
});
