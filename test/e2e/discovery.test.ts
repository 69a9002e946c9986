/** Discovery and JWKS over real HTTP, and the `keys` commands of the real CLI. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const SECRET = 'k'.repeat(40);
let server: TestServer;
let issuer: string;
beforeAll(async () => {
  const port = await freePort();
  // An issuer with a path and a trailing slash: it must come back byte for byte.
  issuer = `http://localhost:${port}/tenant-a/`;
  server = await startTestServer({ PORT: String(port), JWT_OIDC_ISSUER: issuer, JWT_OIDC_KEY_ENCRYPTION_SECRET: SECRET, JWT_OIDC_KEY_PREPUBLISH_TIME: '120' });
});
afterAll(() => server?.close());

describe('discovery', () => {
  it('is served under the issuer path with the issuer byte for byte', async () => {
    const res = await fetch(`http://localhost:${server.port}/tenant-a/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(text).toContain(`"issuer":"http://localhost:${server.port}/tenant-a/"`);
    const doc = JSON.parse(text);
    expect(doc.issuer).toBe(issuer);
    expect(doc.jwks_uri).toBe(`http://localhost:${server.port}/tenant-a/jwks`);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
    expect(doc.subject_types_supported).toEqual(['public']);
    for (const [name, path] of [['authorization_endpoint', 'authorize'], ['token_endpoint', 'token'], ['userinfo_endpoint', 'userinfo']]) {
      expect(doc[name!]).toBe(`http://localhost:${server.port}/tenant-a/${path}`);
    }
    expect(doc).toMatchObject({
      response_types_supported: ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange', 'implicit'],
      device_authorization_endpoint: `http://localhost:${server.port}/tenant-a/device/authorization`,
      revocation_endpoint: `http://localhost:${server.port}/tenant-a/revoke`,
      introspection_endpoint: `http://localhost:${server.port}/tenant-a/introspect`,
      end_session_endpoint: `http://localhost:${server.port}/tenant-a/session/end`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: true,
      request_uri_parameter_supported: false,
    });
    // Only what is implemented.
    for (const absent of ['registration_endpoint', 'frontchannel_logout_supported', 'request_object_encryption_alg_values_supported']) expect(doc).not.toHaveProperty(absent);
    expect((await fetch(`http://localhost:${server.port}/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('serves RFC 8414 metadata at /.well-known/oauth-authorization-server/tenant-a (§3: before the issuer\'s path, its trailing slash removed), equal to discovery member for member', async () => {
    const base = `http://localhost:${server.port}`;
    const [oidc, oauth] = await Promise.all([fetch(`${issuer}.well-known/openid-configuration`), fetch(`${base}/.well-known/oauth-authorization-server/tenant-a`)]);
    expect(oauth.status).toBe(200);
    expect(oauth.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(oauth.headers.get('cache-control')).toBe(oidc.headers.get('cache-control'));
    const [a, b] = [await oidc.json(), await oauth.json()];
    // The same document: RFC 8414 §7.1.2 registers OIDC Discovery's members as authorization server metadata.
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const member of Object.keys(a)) expect(b[member], member).toEqual(a[member]);
    expect(b.issuer).toBe(issuer);
    expect(b.pushed_authorization_request_endpoint).toBe(`${base}/tenant-a/par`);
    // Not below the issuer's path, nor without it, nor with the slash kept.
    for (const wrong of [`${issuer}.well-known/oauth-authorization-server`, `${base}/.well-known/oauth-authorization-server`, `${base}/.well-known/oauth-authorization-server/tenant-a/x`]) {
      expect((await fetch(wrong)).status, wrong).toBe(404);
    }
    const etag = oauth.headers.get('etag')!;
    expect((await fetch(`${base}/.well-known/oauth-authorization-server/tenant-a`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers a conditional request with 304', async () => {
    const first = await fetch(`${issuer}.well-known/openid-configuration`);
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${issuer}.well-known/openid-configuration`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});

describe('the fast lane (plain GET of discovery and JWKS, answered before the router)', () => {
  it('answers exactly as the routed endpoint does: same status, body and headers (bar the request id), for both documents and for 304', async () => {
    const base = `http://localhost:${server.port}/tenant-a`;
    for (const url of [`${base}/.well-known/openid-configuration`, `${base}/jwks`, `http://localhost:${server.port}/.well-known/oauth-authorization-server/tenant-a`]) {
      // A query string takes the ordinary route; the endpoint ignores it.
      const [fast, routed] = await Promise.all([fetch(url), fetch(`${url}?routed=1`)]);
      expect(fast.status).toBe(200);
      expect(routed.status).toBe(200);
      expect(await fast.text()).toBe(await routed.text());
      const headers = (r: Response) => {
        const out: Record<string, string> = {};
        r.headers.forEach((v, k) => {
          if (!['date', 'x-request-id'].includes(k)) out[k] = v;
        });
        return out;
      };
      expect(headers(fast)).toEqual(headers(routed));
      expect(fast.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(fast.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(fast.headers.get('x-frame-options')).toBe('DENY');
      const etag = fast.headers.get('etag')!;
      const [fast304, routed304] = await Promise.all([fetch(url, { headers: { 'if-none-match': etag } }), fetch(`${url}?routed=1`, { headers: { 'if-none-match': etag } })]);
      expect(fast304.status).toBe(304);
      expect(headers(fast304)).toEqual(headers(routed304));
    }
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const url = `http://localhost:${server.port}/tenant-a/jwks`;
    expect((await fetch(url, { headers: { 'x-request-id': 'trace-12345678' } })).headers.get('x-request-id')).toBe('trace-12345678');
    expect((await fetch(url, { headers: { 'x-request-id': 'x\'><script>' } })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('JWKS', () => {
  it('serves the public keys as application/jwk-set+json, cacheable for at most half the pre-publish time', async () => {
    const res = await fetch(`${issuer}jwks`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const { keys } = await res.json();
    expect(keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(key.kty === 'EC' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'] : ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
    const notModified = await fetch(`${issuer}jwks`, { headers: { 'if-none-match': etag! } });
    expect(notModified.status).toBe(304);
  });

  it('changes (new ETag) as soon as a rotation pre-publishes a key', async () => {
    const before = await fetch(`${issuer}jwks`);
    const etag = before.headers.get('etag')!;
    await server.keys!.rotate();
    const after = await fetch(`${issuer}jwks`, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect((await after.json()).keys).toHaveLength(4);
  });
});

describe('jwt-oidc keys', () => {
  const env = () => ({ DATABASE_URL: server.databaseUrl, JWT_OIDC_KEY_ENCRYPTION_SECRET: SECRET, JWT_OIDC_ISSUER: issuer, JWT_OIDC_KEY_PREPUBLISH_TIME: '120' });

  it('status agrees with the running server, also after a rotation from the CLI', async () => {
    const status = await runCli(['keys', 'status', '--json'], { env: env() });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual(server.keys!.status());

    const rotated = await runCli(['keys', 'rotate', '--now', '--json'], { env: env() });
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = JSON.parse(rotated.stdout);
    // The running server follows (LISTEN/NOTIFY) and signs with the new key.
    const deadline = Date.now() + 5000;
    while (JSON.stringify(server.keys!.status()) !== JSON.stringify(after) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.keys!.status()).toEqual(after);
    const primary = after.find((f: { family: string }) => f.family === 'primary');
    const token = await server.keys!.sign({ sub: 'x' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(primary.activeKid);
  });

  it('re-encrypts under a new first secret; the server refuses to start with a wrong one (exit 2)', async () => {
    const newSecret = 'n'.repeat(40);
    const re = await runCli(['keys', 'reencrypt', '--json'], { env: { ...env(), JWT_OIDC_KEY_ENCRYPTION_SECRET: `${newSecret},${SECRET}` } });
    expect(re.code, re.stderr).toBe(0);
    expect(JSON.parse(re.stdout).reencrypted).toBeGreaterThanOrEqual(4);
    const status = await runCli(['keys', 'status'], { env: { ...env(), JWT_OIDC_KEY_ENCRYPTION_SECRET: newSecret } });
    expect(status.code).toBe(0);

    const wrong = await runCli(['serve'], { env: { ...env(), PORT: '0', JWT_OIDC_KEY_ENCRYPTION_SECRET: SECRET } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^jwt-oidc: signing key \S+ was encrypted with a secret that is not in JWT_OIDC_KEY_ENCRYPTION_SECRET/m);
  });

  it('refuses to start in production without a secret, naming the setting', async () => {
    const res = await runCli(['serve'], { env: { DATABASE_URL: server.databaseUrl, NODE_ENV: 'production', JWT_OIDC_ISSUER: 'https://id.example.com' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('JWT_OIDC_KEY_ENCRYPTION_SECRET: required when NODE_ENV=production');
  });
});
