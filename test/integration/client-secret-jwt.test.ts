/**
 * client_secret_jwt (OIDC Core §9, RFC 7523 §2.2 with an HMAC) against a real provider and
 * database, with an injected clock: the assertion MACed with the client's secret at /token,
 * /par, /introspect and /revoke; the refusals (another secret, alg none, a signature for a
 * secret client, an HMAC for a key-pair client keyed with its public key, another aud, expiry
 * and its boundary, a replayed jti in a parallel burst, an expired secret, the secret sent as
 * such); the secret sealed at rest and bound to its client; rotation; registration at /register
 * and through GraphQL (docs/SECURITY.md section V, CA-11…CA-15).
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSealedAs, ClientService } from '../../src/clients/client-service.js';
import { InitialAccessTokenStore } from '../../src/clients/initial-access-token-store.js';
import { ASSERTION_MAX_LIFETIME_S, ASSERTION_SKEW_S } from '../../src/provider/token/client-assertion.js';
import { adminUserTokens, gql, startProvider, type TestProvider } from '../support/provider.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The provider's time: the wall clock, or a frozen instant while a boundary is checked. */
let frozen: number | undefined;
const clock = { now: () => frozen ?? Date.now() };

let p: TestProvider;
let open: TestProvider;
let rp: { clientId: string; clientSecret: string };

beforeAll(async () => {
  [p, open] = await Promise.all([
    startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'initial-token' }, { clock, captureLogs: true }),
    startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open' }),
  ]);
  const made = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  rp = { clientId: made.clientId, clientSecret: made.clientSecret! };
}, 120_000);
afterAll(async () => {
  await Promise.all([p?.close(), open?.close()]);
});

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(clock.now() / 1000);

/** An assertion MACed with `secret` (the octets of its UTF-8 form), good unless `claims` / `alg` say otherwise. */
function assertion(clientId: string, secret: string, claims: Record<string, unknown> = {}, alg = 'HS256'): Promise<string> {
  const now = nowS();
  const payload = { iss: clientId, sub: clientId, aud: `${p.issuer}/token`, jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 60, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields), signal: AbortSignal.timeout(10_000) });
}

const tokenWith = (clientAssertion: string, extra: Record<string, string> = {}) => post('/token', { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, ...extra });

async function expectInvalidClient(res: Response, what = ''): Promise<string> {
  const body = (await res.json()) as { error: string; error_description: string };
  expect(res.status, `${what} ${JSON.stringify(body)}`).toBe(401);
  expect(body.error, what).toBe('invalid_client');
  return body.error_description;
}

async function expectToken(res: Response, what = ''): Promise<string> {
  const body = (await res.json()) as { access_token?: string };
  expect(res.status, `${what} ${JSON.stringify(body)}`).toBe(200);
  return body.access_token!;
}

describe('client_secret_jwt', () => {
  it('CA-11 authenticates at /token with HS256, HS384 and HS512 (aud the token endpoint or the issuer), at /introspect, /revoke and /par', async () => {
    for (const [alg, aud] of [['HS256', `${p.issuer}/token`], ['HS384', p.issuer], ['HS512', `${p.issuer}/token`]] as const) {
      await expectToken(await tokenWith(await assertion(rp.clientId, rp.clientSecret, { aud }, alg)), alg);
    }
    const token = await expectToken(await tokenWith(await assertion(rp.clientId, rp.clientSecret)));
    const auth = async (aud: string) => ({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(rp.clientId, rp.clientSecret, { aud: `${p.issuer}${aud}` }) });
    expect(await (await post('/introspect', { token, ...(await auth('/introspect')) })).json()).toMatchObject({ active: true, client_id: rp.clientId });
    expect((await post('/revoke', { token, ...(await auth('/revoke')) })).status).toBe(200);
    expect(await (await post('/introspect', { token, ...(await auth('/introspect')) })).json()).toMatchObject({ active: false });
    const pushed = await post('/par', { response_type: 'code', redirect_uri: 'https://rp.example/cb', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...(await auth('/par')) });
    expect(pushed.status, await pushed.clone().text()).toBe(201);
    expect(((await pushed.json()) as { request_uri: string }).request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('CA-11 refuses another secret, an unknown client, and a secret sent as such (Basic or form) for a client_secret_jwt client', async () => {
    expect(await expectInvalidClient(await tokenWith(await assertion(rp.clientId, `${rp.clientSecret}x`)), 'wrong secret')).toMatch(/signature is invalid/);
    await expectInvalidClient(await tokenWith(await assertion('no-such-client', rp.clientSecret)), 'unknown');
    const basic = `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`;
    expect(await expectInvalidClient(await post('/token', { grant_type: 'client_credentials' }, { authorization: basic }), 'basic')).toMatch(/authenticates with client_secret_jwt/);
    await expectInvalidClient(await post('/token', { grant_type: 'client_credentials', client_id: rp.clientId, client_secret: rp.clientSecret }), 'post');
    await expectInvalidClient(await post('/token', { grant_type: 'client_credentials', client_id: rp.clientId }), 'none');
    // At introspection too (every endpoint authenticates alike).
    await expectInvalidClient(await post('/introspect', { token: 'x' }, { authorization: basic }), 'introspect basic');
  });

  it('CA-12 refuses alg none, an RS256 assertion for a client_secret_jwt client, and an HMAC keyed with a private_key_jwt client\'s public key', async () => {
    const claims = { iss: rp.clientId, sub: rp.clientId, aud: `${p.issuer}/token`, jti: randomBytes(8).toString('hex'), exp: nowS() + 60 };
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expect(await expectInvalidClient(await tokenWith(none), 'none')).toMatch(/one of HS256, HS384, HS512/);
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await expectInvalidClient(await tokenWith(rs), 'RS256')).toMatch(/one of HS256, HS384, HS512/);
    // An RS256 "signature" that is the HMAC of the secret: the alg decides nothing by itself.
    const head = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}`;
    await expectInvalidClient(await tokenWith(`${head}.${createHmac('sha256', rp.clientSecret).update(head).digest('base64url')}`), 'RS256 MACed');

    // The algorithm confusion: a private_key_jwt client, and an HS256 keyed with its public key.
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' } as JWK;
    const keys = await p.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] }, grantTypes: ['client_credentials'] });
    const kc = { ...claims, iss: keys.clientId, sub: keys.clientId };
    const hs = (key: string | Buffer) => {
      const h = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64url(kc)}`;
      return `${h}.${createHmac('sha256', key).update(h).digest('base64url')}`;
    };
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' });
    for (const [name, key] of Object.entries({ jwk: JSON.stringify(jwk), pem, der: pair.publicKey.export({ type: 'spki', format: 'der' }) })) {
      expect(await expectInvalidClient(await tokenWith(hs(key)), name)).toMatch(/signed with one of ES256/);
    }
    // …while its own ES256 assertion is accepted: the refusals are the alg's.
    await expectToken(await tokenWith(await new SignJWT(kc).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(pair.privateKey)), 'ES256');
  });

  it('CA-13 refuses another aud, iss ≠ sub, an expired assertion, one too far ahead, and no exp or jti; the exp boundary by the injected clock', async () => {
    const cases: Record<string, Record<string, unknown>> = {
      wrongAud: { aud: 'https://other.example/token' },
      noAud: { aud: undefined },
      subNotIss: { sub: 'someone-else' },
      noExp: { exp: undefined },
      noJti: { jti: undefined },
      farExp: { exp: nowS() + ASSERTION_MAX_LIFETIME_S + ASSERTION_SKEW_S + 5 },
    };
    for (const [name, claims] of Object.entries(cases)) await expectInvalidClient(await tokenWith(await assertion(rp.clientId, rp.clientSecret, claims)), name);

    // A whole second, not before now: the signing key exists from its creation, to the millisecond.
    frozen = Math.ceil(Date.now() / 1000) * 1000;
    try {
      const at = nowS();
      // exp within the skew behind now: accepted; at the skew: expired.
      await expectToken(await tokenWith(await assertion(rp.clientId, rp.clientSecret, { iat: at - 120, exp: at - ASSERTION_SKEW_S + 1 })), 'inside the skew');
      expect(await expectInvalidClient(await tokenWith(await assertion(rp.clientId, rp.clientSecret, { iat: at - 120, exp: at - ASSERTION_SKEW_S }))), 'at the skew').toMatch(/expired/);
      // The furthest exp accepted ahead, and one second beyond.
      await expectToken(await tokenWith(await assertion(rp.clientId, rp.clientSecret, { exp: at + ASSERTION_MAX_LIFETIME_S + ASSERTION_SKEW_S })), 'furthest');
      expect(await expectInvalidClient(await tokenWith(await assertion(rp.clientId, rp.clientSecret, { exp: at + ASSERTION_MAX_LIFETIME_S + ASSERTION_SKEW_S + 1 })), 'beyond')).toMatch(/ahead/);
      // A good assertion, then the clock moves past its exp and the skew.
      const good = await assertion(rp.clientId, rp.clientSecret, { exp: at + 30 });
      frozen += (30 + ASSERTION_SKEW_S) * 1000;
      expect(await expectInvalidClient(await tokenWith(good), 'moved past')).toMatch(/expired/);
    } finally {
      frozen = undefined;
    }
  });

  it('CA-14 one assertion in a parallel burst of 10: exactly one accepted', async () => {
    const once = await assertion(rp.clientId, rp.clientSecret);
    const results = await Promise.all(Array.from({ length: 10 }, () => tokenWith(once)));
    const statuses = await Promise.all(results.map(async (r) => (await r.text(), r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
    expect(await expectInvalidClient(await tokenWith(once))).toMatch(/already used/);
  });

  it('CA-15 an expired secret no longer authenticates, at its expiry instant', async () => {
    const c = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['client_credentials'] });
    // A whole second, not before now: the signing key exists from its creation, to the millisecond.
    frozen = Math.ceil(Date.now() / 1000) * 1000;
    try {
      const expiry = frozen + 10_000;
      await p.db.orm.em.fork().getConnection().execute('update clients set secret_expires_at = ? where id = ?', [new Date(expiry), c.clientId]);
      await p.provider!.clients.changed();
      await expectToken(await tokenWith(await assertion(c.clientId, c.clientSecret!)), 'before');
      frozen = expiry;
      expect(await expectInvalidClient(await tokenWith(await assertion(c.clientId, c.clientSecret!)), 'at expiry')).toMatch(/secret has expired/);
    } finally {
      frozen = undefined;
    }
  });

  it('CA-11 keeps the secret sealed, bound to its client (a moved ciphertext does not open), beside its digest', async () => {
    // 512 random bits: the secret keys HS512 too (RFC 7518 §3.2).
    expect(rp.clientSecret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const rows = await p.db.orm.em.fork().getConnection().execute<{ id: string; sealed_secret: string; secret_hash: string }[]>('select id, sealed_secret, secret_hash from clients where id = ?', [rp.clientId]);
    const sealed = rows[0]!.sealed_secret;
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(rp.clientSecret);
    expect(rows[0]!.secret_hash).toBeTruthy();
    const encryption = p.provider!.keys.encryption;
    expect(encryption.decrypt(clientSealedAs(rp.clientId), sealed).toString('utf8')).toBe(rp.clientSecret);
    // Copied to another client_secret_jwt client's row: that client is refused, nothing opens.
    const other = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['client_credentials'] });
    await p.db.orm.em.fork().getConnection().execute('update clients set sealed_secret = ? where id = ?', [sealed, other.clientId]);
    await p.provider!.clients.changed();
    expect(await expectInvalidClient(await tokenWith(await assertion(other.clientId, rp.clientSecret)))).toMatch(/secret cannot be used/);
    expect(await expectInvalidClient(await tokenWith(await assertion(other.clientId, other.clientSecret!)))).toMatch(/secret cannot be used/);
    expect(p.logs.some((l) => l.event === 'client_assertion.secret_sealed' && l.client === other.clientId)).toBe(true);
    // A public client and a Basic one have no sealed secret.
    const plain = await p.createClient({ grantTypes: ['client_credentials'] });
    const [row] = await p.db.orm.em.fork().getConnection().execute<{ sealed_secret: string | null }[]>('select sealed_secret from clients where id = ?', [plain.clientId]);
    expect(row!.sealed_secret).toBeNull();
  });

  it('rotation: a client_secret_jwt client keeps its method with a new sealed secret; another moves to it only by rotation', async () => {
    const clients = new ClientService(p.db.orm.em, () => p.provider!.clients.changed(), async () => p.provider!.keys.encryption);
    const c = await p.createClient({ tokenEndpointAuthMethod: 'client_secret_jwt', grantTypes: ['client_credentials'] });
    const { secret, client } = await clients.rotateSecret(c.clientId);
    expect(client.tokenEndpointAuthMethod).toBe('client_secret_jwt');
    await expectInvalidClient(await tokenWith(await assertion(c.clientId, c.clientSecret!)), 'old secret');
    await expectToken(await tokenWith(await assertion(c.clientId, secret)), 'new secret');

    const basic = await p.createClient({ grantTypes: ['client_credentials'] });
    await expect(clients.update(basic.clientId, { tokenEndpointAuthMethod: 'client_secret_jwt' })).rejects.toThrow(/rotate the secret/);
    await expect(clients.update(c.clientId, { tokenEndpointAuthMethod: 'client_secret_basic' })).rejects.toThrow(/rotate the secret/);
    const moved = await clients.rotateSecret(basic.clientId, 'client_secret_jwt');
    await expectToken(await tokenWith(await assertion(basic.clientId, moved.secret)), 'moved');
    const basicAuth = (s: string) => ({ authorization: `Basic ${Buffer.from(`${basic.clientId}:${s}`).toString('base64')}` });
    await expectInvalidClient(await post('/token', { grant_type: 'client_credentials' }, basicAuth(moved.secret)), 'basic after the move');
    // And back: a new secret for Basic; its assertions are refused then.
    const back = await clients.rotateSecret(basic.clientId, 'client_secret_basic');
    await expectToken(await post('/token', { grant_type: 'client_credentials' }, basicAuth(back.secret)), 'basic again');
    expect(await expectInvalidClient(await tokenWith(await assertion(basic.clientId, back.secret)))).toMatch(/authenticates with its client_secret/);
    // Without a sealer (no key encryption secret at hand), no client_secret_jwt client is made.
    await expect(new ClientService(p.db.orm.em).create({ name: 'x', redirectUris: [], grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'client_secret_jwt' })).rejects.toThrow(/not available/);
  });

  it('registration: /register makes one under initial-token (its secret returned once), never under open; GraphQL too', async () => {
    const { token } = await new InitialAccessTokenStore(p.db.orm.em, clock).create({});
    const res = await fetch(`${p.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ client_name: 'Registered', redirect_uris: [], grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_jwt' }),
    });
    const body = (await res.json()) as { client_id: string; client_secret: string; token_endpoint_auth_method: string };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.token_endpoint_auth_method).toBe('client_secret_jwt');
    await expectToken(await tokenWith(await assertion(body.client_id, body.client_secret)), 'registered');

    const refused = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'client_secret_jwt' }) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const discovery = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    for (const member of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(discovery[`${member}_auth_methods_supported`], member).toContain('client_secret_jwt');
      expect(discovery[`${member}_auth_signing_alg_values_supported`], member).toEqual(expect.arrayContaining(['HS256', 'HS384', 'HS512', 'ES256']));
    }

    const admin = (await adminUserTokens(p)).tokens.access_token;
    const made = await gql(p, 'mutation($input: CreateClientInput!) { createClient(input: $input) { client { id tokenEndpointAuthMethod } clientSecret } }', { input: { name: 'Via GraphQL', redirectUris: [], grantTypes: ['client_credentials'], responseTypes: [], tokenEndpointAuthMethod: 'client_secret_jwt' } }, admin);
    expect(made.body.errors, JSON.stringify(made.body.errors)).toBeUndefined();
    const created = made.body.data.createClient as { client: { id: string; tokenEndpointAuthMethod: string }; clientSecret: string };
    expect(created.client.tokenEndpointAuthMethod).toBe('client_secret_jwt');
    await expectToken(await tokenWith(await assertion(created.client.id, created.clientSecret)), 'graphql');
    const rotated = await gql(p, 'mutation($id: ID!) { rotateClientSecret(id: $id) { client { tokenEndpointAuthMethod } clientSecret } }', { id: created.client.id }, admin);
    expect(rotated.body.data.rotateClientSecret.client.tokenEndpointAuthMethod).toBe('client_secret_jwt');
    await expectToken(await tokenWith(await assertion(created.client.id, rotated.body.data.rotateClientSecret.clientSecret as string)), 'graphql rotated');
  });
});
