/** `jwt-oidc clients …` against a running provider: changes reach it at once (LISTEN/NOTIFY). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { authorizeUrl, browse, CookieJar, formOf, pkcePair, postForm, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let env: Record<string, string>;
beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_API_SCOPES: 'api:read', JWT_OIDC_REGISTRATION_POLICY: 'initial-token' });
  env = { DATABASE_URL: provider.databaseUrl, JWT_OIDC_KEY_ENCRYPTION_SECRET: 't'.repeat(40) };
});
afterAll(() => provider?.close());

async function secretHashOf(id: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: provider.databaseUrl });
  await client.connect();
  try {
    return (await client.query('select secret_hash from clients where id = $1', [id])).rows[0]?.secret_hash ?? null;
  } finally {
    await client.end();
  }
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where the right password of a new user leads, at the client `id`: the set-up of a second factor, or the client. */
async function afterPassword(id: string, redirectUri: string): Promise<URL> {
  const user = await provider.createUser();
  const jar = new CookieJar();
  const start = authorizeUrl(provider, { client_id: id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const page = new URL((await browse(jar, start)).headers.get('location')!, start);
  const { action, csrf } = formOf(await (await browse(jar, page.toString())).text());
  const res = await postForm(jar, new URL(action, page).toString(), { csrf, username: user.username, password: user.password });
  return new URL(res.headers.get('location')!, start);
}

const cc = (id: string, secret: string) => tokenRequest(provider, { grant_type: 'client_credentials', scope: 'api:read' }, { clientId: id, clientSecret: secret });

describe('jwt-oidc clients', () => {
  it('creates a confidential client: the secret is printed once, stored as a digest, and works at once', async () => {
    const res = await runCli(['clients', 'create', '--id', 'svc-1', '--name', 'Service One', '--grant-types', 'client_credentials', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ clientId: 'svc-1', name: 'Service One', public: false, grantTypes: ['client_credentials'] });
    expect(out.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    const stored = await secretHashOf('svc-1');
    expect(stored).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toBe(out.clientSecret);
    await eventually(async () => (await cc('svc-1', out.clientSecret)).status === 200);
    const show = await runCli(['clients', 'show', '--id', 'svc-1', '--json'], { env });
    expect(show.stdout).not.toContain(out.clientSecret);
    expect(JSON.parse(show.stdout)).not.toHaveProperty('clientSecret');
  });

  it('rotates the secret: the old one stops working, the new one works', async () => {
    const created = JSON.parse((await runCli(['clients', 'create', '--name', 'Rotating', '--grant-types', 'client_credentials', '--json'], { env })).stdout);
    await eventually(async () => (await cc(created.clientId, created.clientSecret)).status === 200);
    const rotated = await runCli(['clients', 'rotate-secret', '--id', created.clientId, '--json'], { env });
    expect(rotated.code, rotated.stderr).toBe(0);
    const { clientSecret } = JSON.parse(rotated.stdout);
    expect(clientSecret).not.toBe(created.clientSecret);
    await eventually(async () => (await cc(created.clientId, created.clientSecret)).status === 401);
    expect((await cc(created.clientId, clientSecret)).status).toBe(200);
  });

  it('registration-token: an initial access token, printed once and stored as a digest, registers as many clients as its uses at /register', async () => {
    const res = await runCli(['clients', 'registration-token', '--expires-in', '600', '--max-uses', '2', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const { token, expiresAt, maxUses } = JSON.parse(res.stdout);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(maxUses).toBe(2);
    expect(Math.abs(new Date(expiresAt).getTime() - (Date.now() + 600_000))).toBeLessThan(30_000);
    const db = new pg.Client({ connectionString: provider.databaseUrl });
    await db.connect();
    try {
      expect((await db.query('select count(*)::int as n from initial_access_tokens where token_hash = $1', [token])).rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    const register = () => fetch(`${provider.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ redirect_uris: ['https://rp.example/cb'] }) });
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(401);
    const text = await runCli(['clients', 'registration-token'], { env });
    expect(text.stdout).toMatch(/^initial access token: [A-Za-z0-9_-]{43}$/m);
    for (const args of [['--max-uses', '0'], ['--expires-in', 'soon'], ['--expires-in', String(31 * 86_400)]]) {
      const bad = await runCli(['clients', 'registration-token', ...args], { env });
      expect(bad.code, args.join(' ')).toBe(2);
    }
  });

  it('registers a public client without a secret', async () => {
    const res = await runCli(['clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'http://localhost:5173/cb', '--origin', 'http://localhost:5173'], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/public client: no secret/);
    expect(res.stdout).not.toMatch(/client_secret:/);
  });

  it('refuses bad metadata with exit 2 and names the field (AZ-08)', async () => {
    // Refusals write nothing: they can all run at once.
    const uris = ['https://rp.example/cb#f', 'javascript:alert(1)', 'http://rp.example/cb', 'https://*.rp.example/cb'];
    const [pub, ...refused] = await Promise.all([
      runCli(['clients', 'create', '--name', 'Bad', '--public', '--grant-types', 'client_credentials'], { env }),
      ...uris.map((uri) => runCli(['clients', 'create', '--name', 'Bad', '--redirect-uri', uri], { env })),
    ]);
    refused.forEach((res, i) => {
      expect(res.code, uris[i]).toBe(2);
      expect(res.stderr).toMatch(/^jwt-oidc: redirectUris: redirect URI/);
    });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toMatch(/public client cannot use client_credentials/);
  });

  it('sets the per-client extras from the command line', async () => {
    const [res, bad, script] = await Promise.all([
      runCli(['clients', 'create', '--name', 'Extras', '--redirect-uri', 'https://e.example/cb', '--extra-claim', 'nick=givenName:profile', '--deny-user', 'email=intern@example.com', '--backchannel-logout-uri', 'https://e.example/bcl', '--client-uri', 'https://e.example/', '--json'], { env }),
      runCli(['clients', 'create', '--name', 'Bad', '--redirect-uri', 'https://e.example/cb', '--extra-claim', 'nick'], { env }),
      runCli(['clients', 'create', '--name', 'Bad', '--redirect-uri', 'https://e.example/cb', '--client-uri', 'javascript:alert(1)'], { env }),
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      clientUri: 'https://e.example/',
      extraIdTokenClaims: { nick: { field: 'givenName', scope: 'profile' } },
      userRestrictions: [{ field: 'email', equals: 'intern@example.com' }],
      backchannelLogoutUri: 'https://e.example/bcl',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--extra-claim: expected claim=field:scope/);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/clientUri: must be an https URL/);
  });

  it('lists, updates and deletes', async () => {
    await runCli(['clients', 'create', '--id', 'web-1', '--name', 'Web One', '--redirect-uri', 'https://web.example/cb'], { env });
    const list = JSON.parse((await runCli(['clients', 'list', '--search', 'web', '--json'], { env })).stdout);
    expect(list.map((c: { clientId: string }) => c.clientId)).toEqual(['web-1']);
    const updated = await runCli(['clients', 'update', '--id', 'web-1', '--first-party', '--redirect-uri', 'https://web.example/cb', 'https://web.example/cb2', '--json'], { env });
    expect(JSON.parse(updated.stdout)).toMatchObject({ firstParty: true, redirectUris: ['https://web.example/cb', 'https://web.example/cb2'] });
    const off = await runCli(['clients', 'update', '--id', 'web-1', '--no-first-party', '--json'], { env });
    expect(JSON.parse(off.stdout).firstParty).toBe(false);
    expect((await runCli(['clients', 'delete', '--id', 'web-1'], { env })).code).toBe(0);
    const gone = await runCli(['clients', 'show', '--id', 'web-1', '--json'], { env });
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout).error.code).toBe('ERR_CLIENT_NOT_FOUND');
  });

  it('PL-07 --require-mfa: sign-ins to the client set up a second factor; --no-require-mfa clears it', async () => {
    const uri = 'https://mfa.example/cb';
    const res = await runCli(['clients', 'create', '--id', 'mfa-1', '--name', 'Strict', '--first-party', '--require-mfa', '--redirect-uri', uri, '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ clientId: 'mfa-1', requireMfa: true });
    expect((await runCli(['clients', 'list', '--search', 'mfa-1'], { env })).stdout).toMatch(/\[confidential,first-party,require-mfa\]/);
    await eventually(async () => (await provider.provider!.clients.get('mfa-1'))?.requireMfa === true);
    expect((await afterPassword('mfa-1', uri)).pathname).toMatch(/\/interaction\/[\w-]+\/enrol$/);

    const off = await runCli(['clients', 'update', '--id', 'mfa-1', '--no-require-mfa', '--json'], { env });
    expect(JSON.parse(off.stdout).requireMfa).toBe(false);
    await eventually(async () => (await provider.provider!.clients.get('mfa-1'))?.requireMfa === false);
    const back = await afterPassword('mfa-1', uri);
    expect(back.origin + back.pathname).toBe(uri);
    expect(back.searchParams.get('code')).toBeTruthy();
    const on = await runCli(['clients', 'update', '--id', 'mfa-1', '--require-mfa', '--json'], { env });
    expect(JSON.parse(on.stdout).requireMfa).toBe(true);
  });

  it('PAR-05 --require-par: a plain authorization request of the client is refused with invalid_request; --no-require-par clears it', async () => {
    const uri = 'https://par.example/cb';
    const plain = async () => {
      const start = authorizeUrl(provider, { client_id: 'par-1', redirect_uri: uri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      return new URL((await fetch(start, { redirect: 'manual' })).headers.get('location')!, start);
    };
    const res = await runCli(['clients', 'create', '--id', 'par-1', '--name', 'Pushes', '--require-par', '--redirect-uri', uri, '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ clientId: 'par-1', requirePar: true });
    expect((await runCli(['clients', 'list', '--search', 'par-1'], { env })).stdout).toMatch(/\[confidential,require-par\]/);
    await eventually(async () => (await provider.provider!.clients.get('par-1'))?.requirePar === true);
    const refused = await plain();
    expect(refused.origin + refused.pathname).toBe(uri);
    expect(refused.searchParams.get('error')).toBe('invalid_request');

    const off = await runCli(['clients', 'update', '--id', 'par-1', '--no-require-par', '--json'], { env });
    expect(JSON.parse(off.stdout).requirePar).toBe(false);
    await eventually(async () => (await provider.provider!.clients.get('par-1'))?.requirePar === false);
    expect((await plain()).pathname).toMatch(/\/interaction\//);
    const on = await runCli(['clients', 'update', '--id', 'par-1', '--require-par', '--json'], { env });
    expect(JSON.parse(on.stdout).requirePar).toBe(true);
  });

  it('DP-12 --require-dpop: a token request of the client without a DPoP proof is refused with invalid_dpop_proof; --no-require-dpop clears it', async () => {
    const res = await runCli(['clients', 'create', '--id', 'dpop-1', '--name', 'Binds', '--require-dpop', '--grant-types', 'client_credentials', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const { clientSecret } = JSON.parse(res.stdout) as { clientSecret: string };
    expect(JSON.parse(res.stdout)).toMatchObject({ clientId: 'dpop-1', requireDpop: true });
    expect((await runCli(['clients', 'list', '--search', 'dpop-1'], { env })).stdout).toMatch(/\[confidential,require-dpop\]/);
    await eventually(async () => (await provider.provider!.clients.get('dpop-1'))?.requireDpop === true);
    const token = async () => (await (await tokenRequest(provider, { grant_type: 'client_credentials' }, { clientId: 'dpop-1', clientSecret })).json()) as { error?: string; token_type?: string };
    expect((await token()).error).toBe('invalid_dpop_proof');

    const off = await runCli(['clients', 'update', '--id', 'dpop-1', '--no-require-dpop', '--json'], { env });
    expect(JSON.parse(off.stdout).requireDpop).toBe(false);
    await eventually(async () => (await provider.provider!.clients.get('dpop-1'))?.requireDpop === false);
    expect((await token()).token_type).toBe('Bearer');
    const on = await runCli(['clients', 'update', '--id', 'dpop-1', '--require-dpop', '--json'], { env });
    expect(JSON.parse(on.stdout).requireDpop).toBe(true);
  });

  it('TE-03 --token-exchange-audience: the policy reaches the provider at once, an update replaces it; TE-09 a public client is refused the grant', async () => {
    const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const ORDERS = 'https://orders.cli.example/api';
    const STOCK = 'https://stock.cli.example/api';
    await provider.provider!.resources.create({ id: ORDERS, scopes: ['orders:read'] });
    await provider.provider!.resources.create({ id: STOCK, scopes: ['stock:read'] });
    const res = await runCli(['clients', 'create', '--id', 'tx-1', '--name', 'Exchanger', '--grant-types', 'client_credentials', TX, '--token-exchange-audience', ORDERS, '--token-exchange-scope', 'orders:read', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const { clientSecret } = JSON.parse(res.stdout) as { clientSecret: string };
    expect(JSON.parse(res.stdout)).toMatchObject({ clientId: 'tx-1', tokenExchange: { audiences: [ORDERS], scopes: ['orders:read'] } });
    await eventually(async () => (await provider.provider!.clients.get('tx-1'))?.tokenExchange?.audiences[0] === ORDERS);
    const creds = { clientId: 'tx-1', clientSecret };
    const subject = ((await (await tokenRequest(provider, { grant_type: 'client_credentials' }, creds)).json()) as { access_token: string }).access_token;
    const exchange = async (audience: string) => (await (await tokenRequest(provider, { grant_type: TX, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience }, creds)).json()) as { error?: string; issued_token_type?: string };
    expect(await exchange(ORDERS)).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    expect(await exchange(STOCK)).toMatchObject({ error: 'invalid_target' });

    // Repeated options add up; the update replaces the whole policy (the scopes are gone).
    const up = await runCli(['clients', 'update', '--id', 'tx-1', '--token-exchange-audience', STOCK, '--token-exchange-audience', ORDERS, '--token-exchange-widen', '--json'], { env });
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).tokenExchange).toEqual({ audiences: [STOCK, ORDERS], widen: true });
    await eventually(async () => (await provider.provider!.clients.get('tx-1'))?.tokenExchange?.audiences.length === 2);
    expect(await exchange(STOCK)).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });

    const bad = await runCli(['clients', 'update', '--id', 'tx-1', '--token-exchange-audience', 'not a uri'], { env });
    expect(bad.code).toBe(2);
    const lone = await runCli(['clients', 'update', '--id', 'tx-1', '--token-exchange-widen'], { env });
    expect(lone.code).toBe(2);
    const pub = await runCli(['clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'https://spa.example/cb', '--grant-types', 'authorization_code', TX], { env });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toMatch(/public client cannot use token exchange/);
  });

  it('CA-03 --auth-method private_key_jwt with --jwks-file or --jwks-uri: no secret, assertions work at once; private keys and http URLs refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const res = await runCli(['clients', 'create', '--id', 'keys-1', '--name', 'With keys', '--grant-types', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ clientId: 'keys-1', public: false, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: null });
    expect(out.jwks.keys[0].kid).toBe('k1');
    expect(out).not.toHaveProperty('clientSecret');
    expect(await secretHashOf('keys-1')).toBeNull();
    expect((await runCli(['clients', 'list', '--search', 'keys-1'], { env })).stdout).toMatch(/\[private_key_jwt\]/);
    await eventually(async () => (await provider.provider!.clients.get('keys-1'))?.tokenEndpointAuthMethod === 'private_key_jwt');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomBytes(8).toString('hex') }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('keys-1').setSubject('keys-1').setAudience(provider.issuer).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    const token = await fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    expect(token.status, await token.clone().text()).toBe(200);

    // The keys move to a URL.
    const moved = await runCli(['clients', 'update', '--id', 'keys-1', '--jwks-uri', 'https://keys.example/jwks.json', '--json'], { env });
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: null, jwksUri: 'https://keys.example/jwks.json' });

    // Refusals: a private key, a plain http URL, an unreadable file.
    writeFileSync(file, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    const leaked = await runCli(['clients', 'create', '--name', 'Leaked', '--grant-types', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-file', file, '--json'], { env });
    expect(leaked.code).toBe(2);
    expect(JSON.parse(leaked.stdout).error.message).toMatch(/private member "d"/);
    const http = await runCli(['clients', 'create', '--name', 'Plain', '--grant-types', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-uri', 'http://keys.example/jwks', '--json'], { env });
    expect(http.code).toBe(2);
    expect(JSON.parse(http.stdout).error.message).toMatch(/jwksUri: must be an https URL/);
    const missing = await runCli(['clients', 'create', '--name', 'Missing', '--auth-method', 'private_key_jwt', '--jwks-file', join(dir, 'nope.json'), '--json'], { env });
    expect(missing.code).toBe(2);
  });

  it('CA-11 --auth-method client_secret_jwt: the secret printed once and sealed; assertions MACed with it work at once, Basic does not; update and rotate-secret move a client to it', async () => {
    const macAssertion = (id: string, secret: string) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ jti: randomBytes(8).toString('hex') }).setProtectedHeader({ alg: 'HS256' }).setIssuer(id).setSubject(id).setAudience(provider.issuer).setIssuedAt(now).setExpirationTime(now + 60).sign(new TextEncoder().encode(secret));
    };
    const withAssertion = async (id: string, secret: string) =>
      fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await macAssertion(id, secret) }) });

    const res = await runCli(['clients', 'create', '--id', 'mac-1', '--name', 'MACed', '--grant-types', 'client_credentials', '--auth-method', 'client_secret_jwt', '--json'], { env });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ clientId: 'mac-1', public: false, tokenEndpointAuthMethod: 'client_secret_jwt' });
    expect(out.clientSecret).toMatch(/^[A-Za-z0-9_-]{86}$/); // 512 bits: it keys HS512 too (RFC 7518 §3.2)
    expect((await runCli(['clients', 'list', '--search', 'mac-1'], { env })).stdout).toMatch(/\[client_secret_jwt\]/);
    await eventually(async () => (await provider.provider!.clients.get('mac-1'))?.tokenEndpointAuthMethod === 'client_secret_jwt');
    const token = await withAssertion('mac-1', out.clientSecret);
    expect(token.status, await token.clone().text()).toBe(200);
    expect((await cc('mac-1', out.clientSecret)).status).toBe(401);

    // A Basic client moved by `update`: a new secret, printed once; the old one stops working.
    const basic = JSON.parse((await runCli(['clients', 'create', '--id', 'mac-2', '--name', 'Basic first', '--grant-types', 'client_credentials', '--json'], { env })).stdout);
    const moved = await runCli(['clients', 'update', '--id', 'mac-2', '--auth-method', 'client_secret_jwt', '--name', 'Now MACed', '--json'], { env });
    expect(moved.code, moved.stderr).toBe(0);
    const after = JSON.parse(moved.stdout);
    expect(after).toMatchObject({ clientId: 'mac-2', name: 'Now MACed', tokenEndpointAuthMethod: 'client_secret_jwt' });
    expect(after.clientSecret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    await eventually(async () => (await provider.provider!.clients.get('mac-2'))?.tokenEndpointAuthMethod === 'client_secret_jwt');
    expect((await withAssertion('mac-2', after.clientSecret)).status).toBe(200);
    expect((await withAssertion('mac-2', basic.clientSecret)).status).toBe(401);
    // rotate-secret keeps the method; --auth-method client_secret_basic moves it back.
    const rotated = JSON.parse((await runCli(['clients', 'rotate-secret', '--id', 'mac-2', '--json'], { env })).stdout);
    await eventually(async () => (await withAssertion('mac-2', rotated.clientSecret)).status === 200);
    const back = await runCli(['clients', 'rotate-secret', '--id', 'mac-2', '--auth-method', 'client_secret_basic', '--json'], { env });
    expect(back.code, back.stderr).toBe(0);
    await eventually(async () => (await provider.provider!.clients.get('mac-2'))?.tokenEndpointAuthMethod === null);
    expect((await cc('mac-2', JSON.parse(back.stdout).clientSecret)).status).toBe(200);
  });
});
