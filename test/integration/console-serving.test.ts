/**
 * The admin console as the service serves it (src/http/console.ts): index.html with its
 * configuration and strict policy at every path under /admin, its hashed assets cached for good,
 * nothing outside them; the first-run page first; below an issuer's path; a page that says so
 * when there is no build. And its client (src/console/client.ts): registered at start exactly so,
 * by instances starting at once too, gone with ADMIN_CONSOLE=false, refused to administrators,
 * and working: the code flow with PKCE gives an administrator an admin token and rotating
 * refresh tokens. A small fixture stands for the Vite build.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, ClientService } from '../../src/clients/client-service.js';
import { CONSOLE_CLIENT_ID, seedConsoleClient } from '../../src/console/client.js';
import { CONSOLE_CSP } from '../../src/http/console.js';
import { gql, startInstanceOf, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';
import { configOf, fixtureBuild } from '../support/spa-build.js';

const PRODUCT = `Acme "<b>&'</b>" IdP`;
const EXPECTED_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CONSOLE_SCOPE = 'openid profile admin offline_access';

const build = fixtureBuild();
let p: TestProvider;
let prefixed: TestProvider;
let unbuilt: TestProvider;

beforeAll(async () => {
  [p, prefixed, unbuilt] = await Promise.all([
    startProvider({ JWT_OIDC_PRODUCT_NAME: PRODUCT }, { consoleDir: build }),
    startProvider({ JWT_OIDC_ISSUER: 'http://id.example.test/auth/' }, { consoleDir: build }),
    startProvider({}, { consoleDir: join(build, 'missing') }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([p?.close(), prefixed?.close(), unbuilt?.close()]);
});

const get = (on: TestProvider, path: string, init: RequestInit = {}) => fetch(`${on.url}${path}`, { redirect: 'manual', ...init });

/** A request whose path goes out exactly as written (fetch would resolve `..`). */
function rawGet(on: TestProvider, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(on.url);
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

async function consoleRow(on: TestProvider) {
  const rows = await on.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(
    `select id, name, secret_hash, secret_expires_at, logo_uri, client_uri, redirect_uris, post_logout_redirect_uris, allowed_origins, grant_types, response_types,
            first_party, logout_all, admin, id_token_signed_response_alg, extra_id_token_claims, user_restrictions, audiences, backchannel_logout_uri
       from clients where id = ?`,
    [CONSOLE_CLIENT_ID],
  );
  return rows;
}

const expectedRow = (issuer: string) => ({
  id: 'jwt-oidc-console',
  name: 'Admin console',
  secret_hash: null,
  secret_expires_at: null,
  logo_uri: null,
  client_uri: null,
  redirect_uris: [`${issuer}/admin/callback`],
  post_logout_redirect_uris: [`${issuer}/admin/`],
  allowed_origins: [],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  first_party: true,
  logout_all: true,
  admin: false,
  id_token_signed_response_alg: null,
  extra_id_token_claims: {},
  user_restrictions: [],
  audiences: [],
  backchannel_logout_uri: null,
});

describe('first run', () => {
  it('while no administrator exists, /admin and every page under it lead to /admin/setup; assets are served all the same', async () => {
    for (const path of ['/admin', '/admin/', '/admin/users/abc', '/admin/callback?code=x&state=y']) {
      const res = await get(p, path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe('/admin/setup');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
    expect((await get(p, '/admin', { method: 'HEAD' })).status).toBe(303);
    const setup = await get(p, '/admin/setup');
    expect(setup.status).toBe(200);
    expect(await setup.text()).toContain('<h1>Create the first administrator</h1>');
    expect((await get(p, '/admin/assets/index-AbC123.js')).status).toBe(200);
  });

  it('once an administrator exists, /admin is the console and /admin/setup is gone', async () => {
    await p.createUser({ admin: true });
    expect((await get(p, '/admin')).status).toBe(200);
    expect((await get(p, '/admin/setup')).status).toBe(404);
  });
});

describe('index.html', () => {
  it('SE-17 is served with the console policy, revalidated at every visit, never framed', async () => {
    const res = await get(p, '/admin/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
    expect(CONSOLE_CSP).toBe(EXPECTED_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('carries the configuration in a meta tag before </head>, escaped for an attribute', async () => {
    const html = await (await get(p, '/admin')).text();
    expect(configOf(html)).toEqual({ issuer: p.issuer, graphql: `${p.issuer}/graphql`, clientId: 'jwt-oidc-console', base: '/admin', productName: PRODUCT });
    expect(html).toMatch(/<meta name="jwt-oidc-console" content="[^"<>']*">\n<\/head>/);
    expect(html).toContain('Acme \\&quot;&lt;b&gt;&amp;&#39;&lt;/b&gt;\\&quot; IdP');
  });

  it('names its assets by absolute URLs under /admin, since it is served at nested paths', async () => {
    const html = await (await get(p, '/admin/users/abc')).text();
    expect(html).toContain('<script type="module" crossorigin src="/admin/assets/index-AbC123.js"></script>');
    expect(html).toContain('<link rel="stylesheet" crossorigin href="/admin/assets/index-XyZ.css">');
    expect(html).not.toContain('./assets/');
  });

  it('is the answer to every deep link and to HEAD; other methods are not found', async () => {
    const index = await (await get(p, '/admin/')).text();
    for (const path of ['/admin', '/admin/users/abc', '/admin/clients/jwt-oidc-console/edit', '/admin/callback?code=x&state=y']) {
      const res = await get(p, path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(index);
    }
    const head = await get(p, '/admin/users', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
    expect(await head.text()).toBe('');
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await get(p, '/admin/', { method })).status, method).toBe(404);
  });

  it('is read once: a build replaced under a running server shows at its next start', async () => {
    const dir = fixtureBuild();
    const other = await startInstanceOf(p, {}, { consoleDir: dir });
    try {
      const first = await (await get(other, '/admin')).text();
      expect(first).toContain('<meta name="jwt-oidc-console"');
      writeFileSync(join(dir, 'index.html'), '<!doctype html><head></head><p>new build</p>');
      expect(await (await get(other, '/admin')).text()).toBe(first);
      // Started with an administrator: no first-run page, and its path is not the console's either.
      expect((await get(other, '/admin/setup')).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('assets', () => {
  it('are cached for a year as immutable, with their content type', async () => {
    const js = await get(p, '/admin/assets/index-AbC123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log("console");\n');
    const css = await get(p, '/admin/assets/index-XyZ.css', { method: 'HEAD' });
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('nothing else: unknown names, dotfiles and paths out of assets/ are the JSON 404', async () => {
    for (const path of ['/admin/assets/nope.js', '/admin/assets/.env', '/admin/assets/', '/admin/assets/..%2fsecret.txt', '/admin/assets/..%2f..%2fpackage.json', '/admin/assets/%2e%2e%2fsecret.txt', '/admin/assets/index-AbC123.js%00.css', '/admin/assets/x/index-AbC123.js']) {
      const res = await get(p, path);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual({ error: 'not_found', error_description: 'No such endpoint.' });
    }
    for (const path of ['/admin/assets/../secret.txt', '/admin/assets/../../package.json', '/admin/assets/./.env']) {
      const res = await rawGet(p, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toMatch(/outside assets|SECRET|"name"/);
    }
    expect((await get(p, '/admin/assets/index-AbC123.js', { method: 'POST' })).status).toBe(404);
  });
});

describe('below an issuer with a path', () => {
  it('the console is at <path>/admin, with its configuration, assets and first-run page there', async () => {
    expect((await get(prefixed, '/admin')).status).toBe(404);
    const first = await get(prefixed, '/auth/admin/users');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/auth/admin/setup');
    await prefixed.createUser({ admin: true });

    const res = await get(prefixed, '/auth/admin/users');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(configOf(html)).toEqual({ issuer: 'http://id.example.test/auth', graphql: 'http://id.example.test/graphql', clientId: 'jwt-oidc-console', base: '/auth/admin', productName: 'id.example.test' });
    expect(html).toContain('src="/auth/admin/assets/index-AbC123.js"');
    expect((await get(prefixed, '/auth/admin/assets/index-XyZ.css')).status).toBe(200);
    expect(await consoleRow(prefixed)).toEqual([expectedRow('http://id.example.test/auth')]);
  });
});

describe('without a build', () => {
  it('says how to build it, 503 under the strict page policy, never a stack trace', async () => {
    await unbuilt.createUser({ admin: true });
    for (const path of ['/admin', '/admin/users/abc']) {
      const res = await get(unbuilt, path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; .*frame-ancestors 'none'/);
      const html = await res.text();
      expect(html).toContain('The admin console is not built: run <code>npm run build</code>');
      expect(html).not.toMatch(/ENOENT|at .*\.ts:\d+/);
    }
    expect((await get(unbuilt, '/admin/assets/index-AbC123.js')).status).toBe(404);
  });

  it('serves a build made while it runs, without a restart', async () => {
    const dir = join(build, 'missing');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>later</title></head><body></body></html>');
    const res = await get(unbuilt, '/admin');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>later</title><meta name="jwt-oidc-console"');
  });
});

describe('the console client', () => {
  it('is registered at start exactly so: public, first-party, its own redirect URIs, code and refresh grants', async () => {
    expect(await consoleRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('SE-18 a row changed by hand is brought back in line', async () => {
    await p.db.orm.em.fork().getConnection().execute(
      `update clients set name = 'Mine', secret_hash = 'x', first_party = false, admin = true, grant_types = '["authorization_code","refresh_token","client_credentials"]', redirect_uris = '["https://evil.example/cb"]', allowed_origins = '["https://evil.example"]' where id = ?`,
      [CONSOLE_CLIENT_ID],
    );
    await seedConsoleClient(p.db.orm, p.issuer);
    expect(await consoleRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('two instances starting at once on one database both register it, once', async () => {
    await p.db.orm.em.fork().getConnection().execute('delete from clients where id = ?', [CONSOLE_CLIENT_ID]);
    const started = await Promise.allSettled([startInstanceOf(p, {}, { consoleDir: build }), startInstanceOf(p, {}, { consoleDir: build })]);
    try {
      expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await consoleRow(p)).toEqual([expectedRow(p.issuer)]);
    } finally {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    }
  });

  it('the code flow with PKCE gives an administrator, without consent, an admin token for /graphql and refresh tokens that rotate', async () => {
    const admin = await p.createUser({ admin: true });
    const client = { clientId: CONSOLE_CLIENT_ID, redirectUri: `${p.issuer}/admin/callback` };
    const tokens = await tokensFor(p, client, admin, CONSOLE_SCOPE);
    expect(tokens.scope.split(' ').sort()).toEqual(['admin', 'offline_access', 'openid', 'profile']);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: CONSOLE_CLIENT_ID, sub: admin.id });
    const listed = await gql(p, '{ clients(first: 100) { edges { node { id } } } }', undefined, tokens.access_token);
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data.clients.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(CONSOLE_CLIENT_ID);

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(next.refresh_token).toBeTruthy();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect((await gql(p, '{ overview { clients } }', undefined, next.access_token)).body.errors).toBeUndefined();
    // The rotated token again: refused (and the grant with it, RFC 9700 §4.14.2).
    const replay = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, client);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a user who is not an administrator signs in through it without the admin scope, and is refused administration', async () => {
    const user = await p.createUser();
    const tokens = await tokensFor(p, { clientId: CONSOLE_CLIENT_ID, redirectUri: `${p.issuer}/admin/callback` }, user, CONSOLE_SCOPE);
    expect(tokens.scope.split(' ')).not.toContain('admin');
    const refused = await gql(p, '{ overview { clients } }', undefined, tokens.access_token);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('SE-18 administrators cannot create, change, delete or rotate it over GraphQL (BAD_USER_INPUT naming it the service\'s)', async () => {
    const admin = await p.createUser({ admin: true });
    const { access_token: token } = await tokensFor(p, { clientId: CONSOLE_CLIENT_ID, redirectUri: `${p.issuer}/admin/callback` }, admin, CONSOLE_SCOPE);
    for (const mutation of [
      'updateClient(id: "jwt-oidc-console", input: { name: "Mine", redirectUris: ["https://evil.example/cb"] }) { id }',
      'deleteClient(id: "jwt-oidc-console")',
      'rotateClientSecret(id: "jwt-oidc-console") { clientSecret }',
      'createClient(input: { id: "jwt-oidc-console", name: "Mine", redirectUris: ["https://evil.example/cb"] }) { clientSecret }',
    ]) {
      const res = await gql(p, `mutation { ${mutation} }`, undefined, token);
      expect(res.body.errors?.[0]?.extensions, mutation).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
      expect(res.body.errors[0].message, mutation).toBe('"jwt-oidc-console" is the admin console\'s client, managed by the service: it cannot be created, changed or deleted');
    }
    expect(await consoleRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('SE-18 nor through ClientService, which the CLI\'s clients commands use (ERR_CLIENT_MANAGED, exit 1)', async () => {
    const service = new ClientService(p.db.orm.em);
    for (const attempt of [() => service.update(CONSOLE_CLIENT_ID, { name: 'Mine' }), () => service.delete(CONSOLE_CLIENT_ID), () => service.rotateSecret(CONSOLE_CLIENT_ID)]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ code: 'ERR_CLIENT_MANAGED', field: 'id' });
    }
    expect(await consoleRow(p)).toEqual([expectedRow(p.issuer)]);
  });

  it('ADMIN_CONSOLE=false: no /admin, and the client (with its grants) is deleted at start', async () => {
    const grants = async () => (await p.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from grants where client_id = ?', [CONSOLE_CLIENT_ID]))[0]!.n;
    expect(await grants()).toBeGreaterThan(0);
    const off = await startInstanceOf(p, { JWT_OIDC_ADMIN_CONSOLE: 'false' }, { consoleDir: build });
    try {
      expect(await consoleRow(p)).toEqual([]);
      expect(await grants()).toBe(0);
      for (const path of ['/admin', '/admin/', '/admin/users/abc', '/admin/assets/index-AbC123.js', '/admin/setup']) {
        const res = await get(off, path);
        expect(res.status, path).toBe(404);
        expect(await res.json(), path).toEqual({ error: 'not_found', error_description: 'No such endpoint.' });
      }
    } finally {
      await off.close();
      // The first instance keeps serving the console: its client back, as its next start would.
      await seedConsoleClient(p.db.orm, p.issuer);
    }
  });
});
