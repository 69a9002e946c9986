/**
 * TYPE=client against our own provider mode as the upstream: a browser (cookie jar) logs in
 * through the provider's real login pages, the BFF's callback creates the local user per
 * CREATE_USER and the attribute mapping, `me` answers from the session cookie and from upstream
 * bearer tokens, the logout form ends both sessions (RP-initiated logout at the provider).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/database.js';
import { freePort, logoutViaForm, meViaSession, startBff, type Bff } from '../support/client-mode.js';
import { browse, CookieJar, gql, throughLoginPages, tokensFor, startProvider, type TestProvider } from '../support/provider.js';

describe('client mode against the provider', () => {
  let provider: TestProvider;
  let bff: Bff;
  let alice: { id: string; username: string; password: string };
  let client: { clientId: string; clientSecret?: string; redirectUri: string };

  beforeAll(async () => {
    provider = await startProvider();
    alice = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell', emailVerified: true });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    client = await provider.createClient({
      name: 'BFF',
      redirectUris: [`${publicUrl}/openid/callback`],
      postLogoutRedirectUris: [`${publicUrl}/signed-out`],
      grantTypes: ['authorization_code', 'refresh_token'],
      // Signing out of the BFF signs out of the provider (otherwise only this client's grants end).
      logoutAll: true,
      backchannelLogoutUri: `${publicUrl}/openid/backchannel-logout`,
    });
    bff = await startBff(port, `${provider.issuer}/.well-known/openid-configuration`, {
      JWT_OIDC_CLIENT_ID: client.clientId,
      JWT_OIDC_CLIENT_SECRET: client.clientSecret!,
      JWT_OIDC_PKCE_EXTENSION: 'true',
      JWT_OIDC_SCOPE: 'openid profile email offline_access',
      JWT_OIDC_CREATE_USER: 'true',
      JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: JSON.stringify({ given_name: 'givenName', family_name: 'familyName', email: 'email' }),
      JWT_OIDC_USER_DEFAULT_ATTRIBUTES: JSON.stringify({ locale: 'fr' }),
      JWT_OIDC_LOGOUT_REDIRECT_URL: '/signed-out',
      JWT_OIDC_CLIENT_UI_LOCALES: 'en fr',
    });
  });
  afterAll(async () => {
    await bff?.close();
    await provider?.close();
  });

  async function loginThroughBff(returnTo = '/app') {
    const jar = new CookieJar();
    const start = await browse(jar, `${bff.url}/openid/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    const before = jar.header();
    const callback = await throughLoginPages(jar, authorize.toString(), { username: alice.username });
    expect(callback.origin + callback.pathname).toBe(`${bff.publicUrl}/openid/callback`);
    const done = await browse(jar, callback.toString());
    return { jar, authorize, callback, done, before };
  }

  it('sends the browser to the provider with state, nonce, S256 PKCE, the scope and the CLIENT_* parameters', async () => {
    const { authorize } = await loginThroughBff();
    expect(authorize.origin).toBe(new URL(provider.issuer).origin);
    const p = authorize.searchParams;
    expect(p.get('client_id')).toBe(client.clientId);
    expect(p.get('response_type')).toBe('code');
    expect(p.get('scope')).toBe('openid profile email offline_access');
    expect(p.get('redirect_uri')).toBe(`${bff.publicUrl}/openid/callback`);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(p.get('nonce')!.length).toBeGreaterThanOrEqual(22);
    expect(p.get('ui_locales')).toBe('en fr');
  });

  it('logs in: callback → 303 to returnTo, a new session id, the user created with mapped and default attributes', async () => {
    const { jar, done, before } = await loginThroughBff('/app?tab=1');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/app?tab=1');
    expect(done.headers.get('cache-control')).toBe('no-store');
    expect(done.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('jwt-oidc.rp='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(jar.header()).not.toBe(before); // renewed at login (SE-01)

    const me = await meViaSession(bff, jar);
    expect(me.status).toBe(200);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me.sub).toBe(alice.id);
    expect(me.body.data.me.clientId).toBe(client.clientId);
    expect(me.body.data.me.claims.iss).toBe(provider.issuer);
    expect(me.body.data.me.userinfo).toMatchObject({ sub: alice.id, email: `${alice.username}@example.com`, given_name: 'Alice' });
    expect(me.body.data.me.user).toMatchObject({ givenName: 'Alice', familyName: 'Liddell', email: `${alice.username}@example.com`, locale: 'fr' });

    // One local user, linked to the upstream identity, not an administrator.
    const rows = await query<{ n: number; admin: boolean }>(bff.databaseUrl, `select count(*)::int as n, bool_or(admin) as admin from users where attributes->>'oidcIdentifier' = $1`, [alice.id]);
    expect(rows[0]).toEqual({ n: 1, admin: false });
  });

  it('a second login finds the same local user and updates mapped fields (never creates twice)', async () => {
    await loginThroughBff();
    const rows = await query<{ n: number }>(bff.databaseUrl, `select count(*)::int as n from users where attributes->>'oidcIdentifier' = $1`, [alice.id]);
    expect(rows[0]!.n).toBe(1);
  });

  it('me without a session or token is UNAUTHENTICATED; a forged cookie is nobody', async () => {
    const anon = await meViaSession(bff, new CookieJar());
    expect(anon.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = new CookieJar();
    forged.cookies.set('jwt-oidc.rp', 'x'.repeat(43));
    expect((await meViaSession(bff, forged)).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('me from an upstream bearer token whose audience is this BFF; other audiences are 401', async () => {
    const spa = await provider.createClient({ name: 'SPA', redirectUris: ['http://127.0.0.1:9/cb'], audiences: [client.clientId] });
    const tokens = await tokensFor(provider, spa, alice, 'openid profile email');
    const ok = await gql(bff, '{ me { sub clientId scopes userinfo user { givenName } } }', undefined, tokens.access_token);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.me).toMatchObject({ sub: alice.id, clientId: spa.clientId, scopes: expect.arrayContaining(['openid', 'profile']), user: { givenName: 'Alice' } });
    expect(ok.body.data.me.userinfo.sub).toBe(alice.id);

    const other = await provider.createClient({ name: 'Other', redirectUris: ['http://127.0.0.1:9/cb'] });
    const foreign = await tokensFor(provider, other, alice, 'openid');
    const refused = await gql(bff, '{ me { sub } }', undefined, foreign.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('logout: POST without the CSRF token is refused; with it, both sessions end (RP-initiated logout at the provider)', async () => {
    const { jar } = await loginThroughBff();
    const forged = await browse(jar, `${bff.url}/openid/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=nope' });
    expect(forged.status).toBe(400);
    expect((await meViaSession(bff, jar)).body.data?.me.sub).toBe(alice.id);
    // A browser signed in nowhere here (an expired cookie, another tab signed out) is not shown an error it cannot escape.
    const nobody = await browse(new CookieJar(), `${bff.url}/openid/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=' });
    expect(nobody.status).toBe(303);
    expect(nobody.headers.get('location')).toBe('/signed-out');

    const res = await logoutViaForm(bff, jar);
    expect(res.status).toBe(303);
    const endSession = new URL(res.headers.get('location')!);
    expect(endSession.toString().startsWith(`${provider.issuer}/`)).toBe(true);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${bff.publicUrl}/signed-out`);
    expect((await meViaSession(bff, jar)).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    // The provider ends its session (it may ask for confirmation first) and returns to the BFF.
    let step = await browse(jar, endSession.toString());
    if (step.status === 200) {
      const html = await step.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
      const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
      step = await browse(jar, new URL(action, endSession).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, logout: 'yes' }) });
    }
    expect([302, 303]).toContain(step.status);
    expect(step.headers.get('location')).toBe(`${bff.publicUrl}/signed-out`);

    // Logged out at the provider too: a new login shows the login form again.
    const again = await browse(jar, `${bff.url}/openid/login`);
    const page = await browse(jar, new URL(again.headers.get('location')!).toString());
    const interaction = await browse(jar, new URL(page.headers.get('location')!, provider.issuer).toString());
    expect(await interaction.text()).toMatch(/name="password"/);
  });

  it('back-channel logout: the provider ends its session, the BFF session ends too; a forged logout token ends nothing (ID-10)', async () => {
    const { jar } = await loginThroughBff();
    expect((await meViaSession(bff, jar)).body.data?.me.sub).toBe(alice.id);

    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: provider.issuer, aud: client.clientId, iat: Math.floor(Date.now() / 1000), jti: 'x1', sub: alice.id, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }),
    ).toString('base64url')}.`;
    const forged = await fetch(`${bff.url}/openid/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: none }) });
    expect(forged.status).toBe(400);
    expect((await meViaSession(bff, jar)).body.data?.me.sub).toBe(alice.id);
    // A browser signed in nowhere here (an expired cookie, another tab signed out) is not shown an error it cannot escape.
    const nobody = await browse(new CookieJar(), `${bff.url}/openid/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=' });
    expect(nobody.status).toBe(303);
    expect(nobody.headers.get('location')).toBe('/signed-out');

    // The user signs out at the provider itself (no id_token_hint: it asks first).
    const end = await browse(jar, `${provider.issuer}/session/end`);
    const html = await end.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const done = await browse(jar, new URL(action, provider.issuer).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf, logout: 'yes' }) });
    expect(done.status).toBe(200);
    // Delivery runs in the background at the provider.
    let code: string | undefined;
    for (let i = 0; i < 50 && code !== 'UNAUTHENTICATED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      code = (await meViaSession(bff, jar)).body.errors?.[0]?.extensions.code;
    }
    expect(code).toBe('UNAUTHENTICATED');
  });
});
