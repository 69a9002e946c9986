/**
 * The account page as the service serves it (src/http/console.ts, ACCOUNT_PAGE): account.html
 * with its configuration and strict policy at exactly `/account`, `/account/` and
 * `/account/callback`, its hashed assets under `/account/assets/`, nothing else below /account
 * — the server-rendered account pages (registration, password reset) still answered by their
 * own handlers —; below an issuer's path; a page that says so when there is no build. And its
 * client (src/console/client.ts): registered at start exactly so, repaired, refused to
 * ClientService and to administrators, working for any user without consent, and gone with
 * ACCOUNT_PAGE=false. A small fixture stands for the Vite build.
 */
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, ClientService } from '../../src/clients/client-service.js';
import { ACCOUNT_CLIENT_ID, seedAccountClient } from '../../src/console/client.js';
import { ACCOUNT_CSP } from '../../src/http/console.js';
import { PAGE_CSP } from '../../src/interaction/views/layout.js';
import { adminUserTokens, gql, startInstanceOf, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';
import { configOf, fixtureBuild } from '../support/spa-build.js';

const EXPECTED_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const ACCOUNT_SCOPE = 'openid profile email offline_access';
const PAGE_PATHS = ['/account', '/account/', '/account/callback', '/account/callback?code=x&state=y'];
const NOT_FOUND = { error: 'not_found', error_description: 'No such endpoint.' };

const build = fixtureBuild();
let p: TestProvider;
let prefixed: TestProvider;
let unbuilt: TestProvider;

beforeAll(async () => {
  [p, prefixed, unbuilt] = await Promise.all([
    // Registration on, so that its pages under /account exist beside the account page.
    startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity', JWT_OIDC_REGISTRATION: 'open' }, { consoleDir: build }),
    startProvider({ JWT_OIDC_ISSUER: 'http://id.example.test/auth/' }, { consoleDir: build }),
    startProvider({}, { consoleDir: join(build, 'missing') }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([p?.close(), prefixed?.close(), unbuilt?.close()]);
});

const get = (on: TestProvider, path: string, init: RequestInit = {}) => fetch(`${on.url}${path}`, { redirect: 'manual', ...init });
const client = () => ({ clientId: ACCOUNT_CLIENT_ID, redirectUri: `${p.issuer}/account/callback` });

async function accountRow(on: TestProvider) {
  return on.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(
    `select id, name, secret_hash, client_uri, redirect_uris, post_logout_redirect_uris, allowed_origins, grant_types, response_types, first_party, logout_all, admin, audiences, user_restrictions, backchannel_logout_uri
       from clients where id = ?`,
    [ACCOUNT_CLIENT_ID],
  );
}

const expectedRow = (issuer: string) => ({
  id: 'jwt-oidc-account',
  name: 'Account page',
  secret_hash: null,
  client_uri: null,
  redirect_uris: [`${issuer}/account/callback`],
  post_logout_redirect_uris: [`${issuer}/account/`],
  allowed_origins: [],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  first_party: true,
  logout_all: true,
  admin: false,
  audiences: [],
  user_restrictions: [],
  backchannel_logout_uri: null,
});

describe('the page', () => {
  it('AP-03 /account, /account/ and /account/callback are account.html under the page policy, revalidated, never framed', async () => {
    expect(ACCOUNT_CSP).toBe(EXPECTED_CSP);
    const first = await (await get(p, '/account')).text();
    for (const path of PAGE_PATHS) {
      const res = await get(p, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('content-security-policy'), path).toBe(EXPECTED_CSP);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.getSetCookie(), path).toEqual([]);
      expect(await res.text(), path).toBe(first);
    }
    const head = await get(p, '/account/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
    expect(await head.text()).toBe('');
  });

  it('carries its configuration (its own client, base /account) and absolute asset URLs', async () => {
    const html = await (await get(p, '/account/')).text();
    expect(html).toContain('<title>Your account</title>');
    expect(configOf(html)).toEqual({ issuer: p.issuer, graphql: `${p.issuer}/graphql`, clientId: 'jwt-oidc-account', base: '/account', productName: 'Acme Identity' });
    expect(html).toContain('<script type="module" crossorigin src="/account/assets/account-DeF456.js"></script>');
    expect(html).toContain('<link rel="stylesheet" crossorigin href="/account/assets/index-XyZ.css">');
    expect(html).not.toContain('./assets/');
  });

  it('is there without an administrator: only the console waits for the first-run setup', async () => {
    expect((await get(p, '/admin')).status).toBe(303);
    expect((await get(p, '/account')).status).toBe(200);
  });

  it('owns only its exact paths: anything else below /account, and other methods, are the JSON 404', async () => {
    for (const path of ['/account/profile', '/account/callback/x', '/account/index.html', '/account/account.html', '/account/invitation', '/account/email', '/account/setup', '/account//']) {
      const res = await get(p, path);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual(NOT_FOUND);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await get(p, '/account/', { method })).status, method).toBe(404);
  });

  it('serves the build\'s assets under /account/assets, cached for good; nothing else there', async () => {
    const js = await get(p, '/account/assets/account-DeF456.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("account");\n');
    for (const path of ['/account/assets/nope.js', '/account/assets/.env', '/account/assets/..%2fsecret.txt', '/account/assets/']) {
      const res = await get(p, path);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual(NOT_FOUND);
    }
  });
});

describe('the server-rendered account pages', () => {
  it('are still answered by their own handlers, under their own page policy', async () => {
    for (const [path, heading] of [
      ['/account/register', 'Create an account'],
      ['/account/verify', 'Send a new confirmation link'],
      ['/account/password-reset', 'Reset your password'],
    ] as const) {
      const res = await get(p, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).not.toBe(EXPECTED_CSP);
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(await res.text(), path).toContain(`<h1>${heading}</h1>`);
    }
    expect(PAGE_CSP).not.toBe(EXPECTED_CSP);
    // Their forms too: a post without the form's cookie is refused by the handler, not a 404.
    const post = await get(p, '/account/register', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a' });
    expect(post.status).toBe(400);
    expect((await get(p, '/account/password-reset/not-a-token')).status).toBe(400);
  });
});

describe('below an issuer with a path', () => {
  it('the page is at <path>/account, with its configuration and assets there', async () => {
    expect((await get(prefixed, '/account')).status).toBe(404);
    const res = await get(prefixed, '/auth/account/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(configOf(html)).toEqual({ issuer: 'http://id.example.test/auth', graphql: 'http://id.example.test/graphql', clientId: 'jwt-oidc-account', base: '/auth/account', productName: 'id.example.test' });
    expect(html).toContain('src="/auth/account/assets/account-DeF456.js"');
    expect((await get(prefixed, '/auth/account/assets/account-DeF456.js')).status).toBe(200);
    expect(await accountRow(prefixed)).toEqual([expectedRow('http://id.example.test/auth')]);
  });
});

describe('without a build', () => {
  it('says how to build it, 503 under the strict page policy', async () => {
    for (const path of ['/account', '/account/callback']) {
      const res = await get(unbuilt, path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      const html = await res.text();
      expect(html).toContain('<h1>Account page not built</h1>');
      expect(html).toContain('The account page is not built: run <code>npm run build</code>');
    }
  });
});

describe('the account page client', () => {
  it('is registered at start exactly so: public, first-party, its own redirect URIs, code and refresh grants', async () => {
    expect(await accountRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('AP-05 a row changed by hand is brought back in line', async () => {
    await p.db.orm.em.fork().getConnection().execute(
      `update clients set name = 'Mine', secret_hash = 'x', first_party = false, admin = true, redirect_uris = '["https://evil.example/cb"]', allowed_origins = '["https://evil.example"]' where id = ?`,
      [ACCOUNT_CLIENT_ID],
    );
    await seedAccountClient(p.db.orm, p.issuer);
    expect(await accountRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('AP-05 ClientService refuses to create, change, delete or rotate it (ERR_CLIENT_MANAGED), and so does the GraphQL API', async () => {
    const service = new ClientService(p.db.orm.em);
    for (const attempt of [
      () => service.create({ id: ACCOUNT_CLIENT_ID, name: 'Mine', redirectUris: ['https://evil.example/cb'] }),
      () => service.update(ACCOUNT_CLIENT_ID, { redirectUris: ['https://evil.example/cb'] }),
      () => service.delete(ACCOUNT_CLIENT_ID),
      () => service.rotateSecret(ACCOUNT_CLIENT_ID),
    ]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ code: 'ERR_CLIENT_MANAGED', field: 'id', message: '"jwt-oidc-account" is the account page\'s client, managed by the service: it cannot be created, changed or deleted' });
    }
    const { tokens } = await adminUserTokens(p);
    for (const mutation of ['updateClient(id: "jwt-oidc-account", input: { name: "Mine" }) { id }', 'deleteClient(id: "jwt-oidc-account")', 'rotateClientSecret(id: "jwt-oidc-account") { clientSecret }']) {
      const res = await gql(p, `mutation { ${mutation} }`, undefined, tokens.access_token);
      expect(res.body.errors?.[0]?.extensions, mutation).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    }
    expect(await accountRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('the code flow with PKCE gives any user, without consent, a token that manages their own account, and refresh tokens that rotate', async () => {
    const user = await p.createUser();
    const tokens = await tokensFor(p, client(), user, ACCOUNT_SCOPE);
    expect(tokens.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: ACCOUNT_CLIENT_ID, sub: user.id });
    const me = await gql(p, '{ me { user { username } sessions { current } connectedApps { clientId activeGrants } } }', undefined, tokens.access_token);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me.user.username).toBe(user.username);
    expect(me.body.data.me.sessions).toEqual([{ current: true }]);
    expect(me.body.data.me.connectedApps).toEqual([{ clientId: ACCOUNT_CLIENT_ID, activeGrants: 1 }]);
    // It administers nothing.
    expect((await gql(p, '{ overview { users } }', undefined, tokens.access_token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const refreshed = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client());
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { refresh_token: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    const replay = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client());
    expect(replay.status).toBe(400);
  });

  it('AP-06 a third-party application\'s token, even with profile:write, is FORBIDDEN what the page does (as AC-07)', async () => {
    const user = await p.createUser();
    const shop = await p.createClient({ name: 'Shop', redirectUris: ['https://shop.example/cb'] });
    const tokens = await tokensFor(p, shop, user, 'openid profile profile:write email offline_access');
    expect(tokens.scope.split(' ')).toContain('profile:write');
    for (const operation of [
      '{ me { sessions { id } } }',
      '{ me { connectedApps { clientId } } }',
      'mutation { endMySession(id: "x") }',
      'mutation { revokeMyGrant(clientId: "jwt-oidc-account") }',
      `mutation { changeMyPassword(currentPassword: "${user.password}", newPassword: "another passphrase") }`,
    ]) {
      const res = await gql(p, operation, undefined, tokens.access_token);
      expect(res.body.errors?.[0]?.extensions?.code, operation).toBe('FORBIDDEN');
    }
  });

  it('ACCOUNT_PAGE=false: no page, and the client (with its grants) is deleted at start; the other account pages stay', async () => {
    const grants = async () => (await p.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from grants where client_id = ?', [ACCOUNT_CLIENT_ID]))[0]!.n;
    await tokensFor(p, client(), await p.createUser(), ACCOUNT_SCOPE);
    expect(await grants()).toBeGreaterThan(0);
    const off = await startInstanceOf(p, { JWT_OIDC_ACCOUNT_PAGE: 'false', JWT_OIDC_REGISTRATION: 'open' }, { consoleDir: build });
    try {
      expect(await accountRow(p)).toEqual([]);
      expect(await grants()).toBe(0);
      for (const path of ['/account', '/account/', '/account/callback', '/account/assets/account-DeF456.js']) {
        const res = await get(off, path);
        expect(res.status, path).toBe(404);
        expect(await res.json(), path).toEqual(NOT_FOUND);
      }
      expect((await get(off, '/account/register')).status).toBe(200);
      // The console is untouched.
      expect((await get(off, '/admin/assets/index-AbC123.js')).status).toBe(200);
    } finally {
      await off.close();
      // The first instance keeps serving the page: its client back, as its next start would.
      await seedAccountClient(p.db.orm, p.issuer);
    }
  });
});
