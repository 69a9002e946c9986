/**
 * private_key_jwt (RFC 7523 §2.2, OIDC Core §9) against real providers on one database: the
 * assertion's checks, single use across instances, the keys inline or at a jwks_uri served by a
 * real loopback server (its cache, its refetch on an unknown kid, its size limit and deadline),
 * and the refusal of non-public jwks_uri addresses (docs/SECURITY.md section V).
 */
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, ClientService, type CreateClientInput } from '../../src/clients/client-service.js';
import { fetchJwks, JwksFetchError } from '../../src/provider/token/jwks-fetch.js';
import { startPair, startProvider, type TestProvider } from '../support/provider.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}
async function newKey(alg: string, kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A signed assertion for `clientId`, good unless `claims` / `header` say otherwise. */
async function assertion(p: TestProvider, clientId: string, key: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: clientId, sub: clientId, aud: `${p.issuer}/token`, jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 60, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k];
  return new SignJWT(payload).setProtectedHeader({ alg: key.jwk.alg!, kid: key.jwk.kid, ...header }).sign(key.privateKey);
}

function post(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), signal: AbortSignal.timeout(10_000) });
}

const tokenWith = (p: TestProvider, clientAssertion: string, extra: Record<string, string> = {}) =>
  post(`${p.issuer}/token`, { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, ...extra });

async function expectInvalidClient(res: Response, what = ''): Promise<string> {
  const body = (await res.json()) as { error: string; error_description: string };
  expect(res.status, `${what} ${JSON.stringify(body)}`).toBe(401);
  expect(body.error, what).toBe('invalid_client');
  return body.error_description;
}

/** A loopback JWKS server: its answer per path, and the requests it saw. */
class JwksServer {
  server!: Server;
  hits = new Map<string, number>();
  keys: JWK[] = [];
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      this.answer(path, res);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }
  answer(path: string, res: ServerResponse): void {
    if (path === '/huge') {
      // A valid start, then far more than the limit.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys, padding: 'x'.repeat(1024 * 1024) }));
    } else if (path === '/slow') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys": ['); // and never more
    } else {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=600' });
      res.end(JSON.stringify({ keys: this.keys }));
    }
  }
  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${(this.server.address() as AddressInfo).port}${path}`;
  }
  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let first: TestProvider;
let second: TestProvider;
let strict: TestProvider;
const jwksServer = new JwksServer();
let es: Key;
let rsa: Key;
let inline: string;

beforeAll(async () => {
  [es, rsa] = await Promise.all([newKey('ES256', 'es-1'), newKey('PS256', 'ps-1')]);
  await jwksServer.start();
  jwksServer.keys = [es.jwk];
  [first, second] = await startPair({ JWT_OIDC_JWKS_URI_ALLOW_LOOPBACK: 'true', JWT_OIDC_JWKS_URI_TIMEOUT: '1' }, { captureLogs: true });
  strict = await startProvider({}, { captureLogs: true });
  ({ clientId: inline } = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.jwk, rsa.jwk] }, grantTypes: ['client_credentials'] }));
}, 120_000);
afterAll(async () => {
  await Promise.all([first?.close(), second?.close(), strict?.close()]);
  await jwksServer.close();
});

describe('private_key_jwt with inline keys', () => {
  it('authenticates at the token endpoint with ES256 and PS256 assertions (aud the token endpoint or the issuer)', async () => {
    for (const [key, aud] of [[es, `${first.issuer}/token`], [rsa, first.issuer]] as const) {
      const res = await tokenWith(first, await assertion(first, inline, key, { aud }));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { access_token: string }).access_token).toBeTruthy();
    }
  });

  it('authenticates at introspection and revocation with an assertion addressed to them', async () => {
    const res = await tokenWith(first, await assertion(first, inline, es));
    const { access_token } = (await res.json()) as { access_token: string };
    const introspected = await post(`${first.issuer}/introspect`, { token: access_token, client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(first, inline, es, { aud: `${first.issuer}/introspect` }) });
    expect(await introspected.json()).toMatchObject({ active: true, client_id: inline });
    const revoked = await post(`${first.issuer}/revoke`, { token: access_token, client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(first, inline, es, { aud: `${first.issuer}/revoke` }) });
    expect(revoked.status).toBe(200);
  });

  it('CA-01 one assertion in a parallel burst across two instances on one database: exactly one accepted', async () => {
    const once = await assertion(first, inline, es);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => tokenWith(i % 2 ? second : first, once)));
    const statuses = await Promise.all(results.map(async (r) => (await r.text(), r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(15);
    // And later, on the other instance too.
    expect(await expectInvalidClient(await tokenWith(second, once))).toMatch(/already used/);
  });

  it('CA-02 alg none, HS256 keyed with the public key, and an HMAC assertion of a Basic client: invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: inline, sub: inline, aud: `${first.issuer}/token`, jti: 'ca-02', iat: now, exp: now + 60 };
    const hs = (key: string | Buffer) => {
      const head = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'es-1' })}.${b64url(claims)}`;
      return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
    };
    const pem = createPublicKey({ key: es.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const forged = {
      none: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
      hsWithJwk: hs(JSON.stringify(es.jwk)),
      hsWithPem: hs(pem),
      hsWithX: hs(Buffer.from(es.jwk.x!, 'base64url')),
    };
    for (const [name, jwt] of Object.entries(forged)) expect(await expectInvalidClient(await tokenWith(first, jwt), name)).toMatch(/signed with one of/);
    // A client registered for Basic or form secrets signing with it: not its method.
    const withSecret = await first.createClient({ grantTypes: ['client_credentials'] });
    const secretJwt = (() => {
      const c = { ...claims, iss: withSecret.clientId, sub: withSecret.clientId };
      const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(c)}`;
      return `${head}.${createHmac('sha256', withSecret.clientSecret!).update(head).digest('base64url')}`;
    })();
    expect(await expectInvalidClient(await tokenWith(first, secretJwt))).toMatch(/authenticates with its client_secret/);
    // Nor does a private_key_jwt client authenticate with anything but its keys.
    await expectInvalidClient(await post(`${first.issuer}/token`, { grant_type: 'client_credentials', client_id: inline }));
    await expectInvalidClient(await post(`${first.issuer}/token`, { grant_type: 'client_credentials', client_id: inline, client_secret: 'x' }));
  });

  it('CA-04 wrong or missing aud, iss ≠ sub, another client as iss: invalid_client', async () => {
    const other = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [rsa.jwk] }, grantTypes: ['client_credentials'] });
    const cases: Record<string, string> = {
      wrongAud: await assertion(first, inline, es, { aud: 'https://other.example/token' }),
      noAud: await assertion(first, inline, es, { aud: undefined }),
      subNotIss: await assertion(first, inline, es, { sub: other.clientId }),
      // Signed by inline's key but claiming to be the other client.
      otherClient: await assertion(first, other.clientId, es),
    };
    for (const [name, jwt] of Object.entries(cases)) await expectInvalidClient(await tokenWith(first, jwt), name);
    // client_id in the body must name the same client.
    await expectInvalidClient(await tokenWith(first, await assertion(first, inline, es), { client_id: other.clientId }), 'client_id');
  });

  it('CA-05 expired, no exp, exp more than 5 minutes ahead, iat or nbf in the future, no jti: invalid_client', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, Record<string, unknown>> = {
      expired: { iat: now - 600, exp: now - 300 },
      noExp: { exp: undefined },
      farExp: { exp: now + 3600 },
      iatAhead: { iat: now + 600, exp: now + 660 },
      nbfAhead: { nbf: now + 600 },
      noJti: { jti: undefined },
    };
    for (const [name, claims] of Object.entries(cases)) await expectInvalidClient(await tokenWith(first, await assertion(first, inline, es, claims)), name);
  });

  it('CA-03 registration refuses private members, symmetric keys, non-https jwks_uri, and keys for a client with a secret', async () => {
    const clients = new ClientService(first.db.orm.em);
    const base = { name: 'Keys', redirectUris: [], grantTypes: ['client_credentials'] } as CreateClientInput;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const bad: Record<string, Partial<CreateClientInput>> = {
      privateMember: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } },
      symmetric: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      notASet: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { kty: 'EC' } },
      httpUri: { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'http://keys.example/jwks' },
      noKeys: { tokenEndpointAuthMethod: 'private_key_jwt' },
      both: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.jwk] }, jwksUri: 'https://keys.example/jwks' },
      keysWithSecret: { jwks: { keys: [es.jwk] } },
      publicWithKeys: { public: true, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.jwk] } },
    };
    for (const [name, extra] of Object.entries(bad)) {
      const e = await clients.create({ ...base, ...extra }).catch((x: unknown) => x);
      expect(e, name).toBeInstanceOf(ClientError);
    }
    const privateMember = (await clients.create({ ...base, ...bad.privateMember }).catch((x: unknown) => x)) as ClientError;
    expect(privateMember.field).toBe('jwks');
    expect(privateMember.message).toMatch(/private member "d"/);
  });

  it('moves a client with a secret to its keys (the secret stops working), and back with a new secret', async () => {
    const clients = new ClientService(first.db.orm.em, () => first.provider!.clients.changed());
    const rp = await first.createClient({ grantTypes: ['client_credentials'] });
    const updated = await clients.update(rp.clientId, { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [es.jwk] } });
    expect(updated.secretHash).toBeNull();
    const basic = `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`;
    const withSecret = () => fetch(`${first.issuer}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    await expectInvalidClient(await withSecret());
    expect((await tokenWith(first, await assertion(first, rp.clientId, es))).status).toBe(200);
    await expect(clients.update(rp.clientId, { tokenEndpointAuthMethod: 'client_secret_basic' })).rejects.toThrow(/rotate the secret/);
    const { secret } = await clients.rotateSecret(rp.clientId);
    const again = await fetch(`${first.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(again.status).toBe(200);
    await expectInvalidClient(await tokenWith(first, await assertion(first, rp.clientId, es)));
  });
});

describe('private_key_jwt with a jwks_uri', () => {
  it('CA-10 fetches the set once, then uses the cache; an unknown kid refetches once (a rotated key), not again within a minute', async () => {
    const { clientId } = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksServer.url('/cached'), grantTypes: ['client_credentials'] });
    expect((await tokenWith(first, await assertion(first, clientId, es))).status).toBe(200);
    expect((await tokenWith(first, await assertion(first, clientId, es))).status).toBe(200);
    expect(jwksServer.count('/cached')).toBe(1);

    // The client rotates: a new key, published before it is used.
    const rotated = await newKey('ES256', 'es-2');
    jwksServer.keys = [es.jwk, rotated.jwk];
    expect((await tokenWith(first, await assertion(first, clientId, rotated))).status).toBe(200);
    expect(jwksServer.count('/cached')).toBe(2);
    // A made-up kid right after: no third fetch.
    const unknown = await newKey('ES256', 'made-up');
    expect(await expectInvalidClient(await tokenWith(first, await assertion(first, clientId, unknown)))).toMatch(/no registered key/);
    expect(jwksServer.count('/cached')).toBe(2);
    jwksServer.keys = [es.jwk];
  });

  it('CA-08 an oversized JWK Set: invalid_client, the reason logged', async () => {
    const { clientId } = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksServer.url('/huge'), grantTypes: ['client_credentials'] });
    expect(await expectInvalidClient(await tokenWith(first, await assertion(first, clientId, es)))).toMatch(/could not be fetched/);
    expect(jwksServer.count('/huge')).toBe(1);
    expect(first.logs.some((l) => l.event === 'client_assertion.jwks_unavailable' && l.client === clientId && l.reason === 'too-large')).toBe(true);
  });

  it('CA-09 a JWKS server that never finishes: invalid_client at JWKS_URI_TIMEOUT, and the provider keeps answering', async () => {
    const { clientId } = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksServer.url('/slow'), grantTypes: ['client_credentials'] });
    const started = Date.now();
    const [res, discovery] = await Promise.all([tokenWith(first, await assertion(first, clientId, es)), fetch(`${first.issuer}/.well-known/openid-configuration`)]);
    await expectInvalidClient(res);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(discovery.status).toBe(200);
    expect(first.logs.some((l) => l.event === 'client_assertion.jwks_unavailable' && l.client === clientId && l.reason === 'timeout')).toBe(true);
  });

  it('CA-06 without JWKS_URI_ALLOW_LOOPBACK: a jwks_uri on 127.0.0.1 or localhost, and 169.254.169.254 anywhere, are never connected to', async () => {
    const uris = [jwksServer.url('/strict-ip').replace('http:', 'https:'), jwksServer.url('/strict-name', 'localhost').replace('http:', 'https:'), 'https://169.254.169.254/latest/meta-data/jwks', jwksServer.url('/strict-http')];
    for (const jwksUri of uris) {
      const { clientId } = await strict.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri, grantTypes: ['client_credentials'] });
      expect(await expectInvalidClient(await tokenWith(strict, await assertion(strict, clientId, es)), jwksUri)).toMatch(/could not be fetched/);
    }
    expect(jwksServer.count('/strict-ip') + jwksServer.count('/strict-name') + jwksServer.count('/strict-http')).toBe(0);
    expect(strict.logs.filter((l) => l.event === 'client_assertion.jwks_unavailable').map((l) => l.reason)).toEqual(['address', 'address', 'address', 'scheme']);
    // With the setting, loopback only: the metadata address stays refused.
    const { clientId } = await first.createClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://169.254.169.254/jwks', grantTypes: ['client_credentials'] });
    await expectInvalidClient(await tokenWith(first, await assertion(first, clientId, es)));
  });

  it('CA-07 a host name resolving to a private address is refused after resolution; the connection goes to the address checked (one resolution)', async () => {
    const calls: string[] = [];
    const privateName = fetchJwks('https://keys.rebind.test/jwks', { allowLoopback: true, timeoutMs: 1000, maxBytes: 65536, lookup: async (h) => (calls.push(h), [{ address: '10.0.0.7', family: 4 }]) });
    await expect(privateName).rejects.toMatchObject({ reason: 'address' });
    const mixed = fetchJwks('https://keys.rebind.test/jwks', { allowLoopback: false, timeoutMs: 1000, maxBytes: 65536, lookup: async () => [{ address: '93.184.216.34', family: 4 }, { address: '192.168.1.9', family: 4 }] });
    await expect(mixed).rejects.toBeInstanceOf(JwksFetchError);
    // A name only our resolver knows, answered once with the loopback server: the request reaches it.
    const before = jwksServer.count('/pinned');
    const pinned = await fetchJwks(jwksServer.url('/pinned', 'keys.rebind.test'), { allowLoopback: true, timeoutMs: 1000, maxBytes: 65536, lookup: async (h) => (calls.push(h), [{ address: '127.0.0.1', family: 4 }]) });
    expect(pinned.body).toEqual({ keys: jwksServer.keys });
    expect(jwksServer.count('/pinned')).toBe(before + 1);
    expect(calls).toEqual(['keys.rebind.test', 'keys.rebind.test']);
  });
});

describe('discovery', () => {
  it('lists private_key_jwt with the asymmetric algorithms, and client_secret_jwt with the HMACs', async () => {
    const meta = (await (await fetch(`${first.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      expect(meta[`${endpoint}_endpoint_auth_methods_supported`]).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_jwt']));
      expect(meta[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'HS256', 'HS384', 'HS512']);
    }
  });
});
