/**
 * Several trusted issuers on one API (`issuers: [...]` of @jwt-oidc/resource's IssuerSet, as
 * `bearerAuth` of @jwt-oidc/express and `jwtOidcPlugin` of @jwt-oidc/apollo take it), against
 * three issuers at once on loopback: our provider, oidc-provider 9 (RFC 9068 JWT access tokens by
 * resource indicator), and an issuer run here whose keys we hold, to forge tokens and to count
 * what is fetched from it. A token is checked against the configuration of its own `iss` only:
 * its audience, its algorithms, its keys.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { getAuth, jwtOidcPlugin } from '@jwt-oidc/apollo';
import { bearerAuth } from '@jwt-oidc/express';
import { IssuerSet, trustedIssuers } from '@jwt-oidc/resource';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, startProvider, type TestProvider } from '../support/provider.js';
import { OP_RESOURCE, startOidcProvider, type ReferenceOp } from '../support/reference-op.js';

/** The audience our provider's tokens must name on this API. */
const API = 'https://shop.example/api';
/** The audience the local issuer's tokens must name on this API. */
const LOCAL_AUDIENCE = 'https://shop.example/partner-api';
const nowS = () => Math.floor(Date.now() / 1000);

// ---- an issuer whose keys the test holds --------------------------------------------------------

interface LocalIssuer {
  issuer: string;
  /** Requests it has answered, by path. */
  hits: Map<string, number>;
  sign(claims: Record<string, unknown>, alg?: 'ES256' | 'RS256'): Promise<string>;
  close(): Promise<void>;
}

async function startLocalIssuer(): Promise<LocalIssuer> {
  const keys = {
    ES256: { ...(await generateKeyPair('ES256')), kid: 'local-es256' },
    RS256: { ...(await generateKeyPair('RS256')), kid: 'local-rs256' },
  };
  const jwks: JWK[] = [];
  for (const [alg, k] of Object.entries(keys)) jwks.push({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg, use: 'sig' });
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = path === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` } : path === '/jwks' ? { keys: jwks } : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    hits,
    sign: (claims, alg = 'ES256') => signWith(keys[alg].privateKey, keys[alg].kid, alg, { iss: issuer, ...claims }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function signWith(key: CryptoKey, kid: string, alg: string, claims: Record<string, unknown>): Promise<string> {
  // In the payload as given: an `iss` that is no string, or none at all, is what some tests send.
  const payload: Record<string, unknown> = { sub: 'partner-job', client_id: 'partner', scope: 'orders:read', aud: LOCAL_AUDIENCE, iat: nowS(), exp: nowS() + 300, jti: crypto.randomUUID(), ...claims };
  if (payload.iss === undefined) delete payload.iss;
  return new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
}

// ---- the three issuers and the two APIs --------------------------------------------------------

let provider: TestProvider;
let op: ReferenceOp;
let local: LocalIssuer;
let restApi: Server;
let restUrl: string;
let graphqlApi: ApolloServer;
let graphqlUrl: string;
let ours: string;
let oursForOpAudience: string;
let opToken: string;

function issuersConfig() {
  return [
    { issuer: provider.issuer, audience: API },
    { issuer: op.issuer, audience: OP_RESOURCE },
    // This issuer's tokens are accepted only when signed ES256, though its JWKS also has an RSA key.
    { issuer: local.issuer, audience: LOCAL_AUDIENCE, algorithms: ['ES256'] },
  ];
}

beforeAll(async () => {
  [provider, op, local] = await Promise.all([startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' }), startOidcProvider({ scope: 'orders:read' }), startLocalIssuer()]);
  const shop = await provider.createClient({ name: 'Shop job', audiences: [API], grantTypes: ['client_credentials'] });
  const partner = await provider.createClient({ name: 'For the other API', audiences: [OP_RESOURCE], grantTypes: ['client_credentials'] });
  [ours, oursForOpAudience, opToken] = await Promise.all([clientToken(provider, shop, 'orders:read'), clientToken(provider, partner, 'orders:read'), op.token('orders:read')]);

  const app = express();
  app.get('/orders', bearerAuth({ issuers: issuersConfig(), allowInsecureRequests: true }), (req, res) => {
    res.json({ issuer: req.auth!.issuer, sub: req.auth!.sub, clientId: req.auth!.clientId, scopes: req.auth!.scopes });
  });
  restApi = app.listen(0, '127.0.0.1');
  await once(restApi, 'listening');
  restUrl = `http://127.0.0.1:${(restApi.address() as AddressInfo).port}`;

  graphqlApi = new ApolloServer<object>({
    typeDefs: 'type Query { caller: Caller }\ntype Caller { issuer: String! sub: String! }',
    resolvers: { Query: { caller: (_: unknown, __: unknown, ctx: object) => getAuth(ctx) } },
    plugins: [jwtOidcPlugin({ issuers: issuersConfig(), allowInsecureRequests: true, requireAuth: true })],
  });
  ({ url: graphqlUrl } = await startStandaloneServer(graphqlApi, { listen: { port: 0, host: '127.0.0.1' }, context: async () => ({}) }));
}, 120_000);

afterAll(async () => {
  await graphqlApi?.stop();
  await new Promise((r) => (restApi ? restApi.close(r) : r(undefined)));
  await Promise.all([provider?.close(), op?.close(), local?.close()]);
});

const orders = (token?: string) => fetch(`${restUrl}/orders`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
async function caller(token: string) {
  const res = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ caller { issuer sub } }' }) });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as { data?: { caller: { issuer: string; sub: string } }; errors?: { extensions: { code: string } }[] } };
}

describe('bearerAuth with three issuers', () => {
  it("accepts each issuer's token for that issuer's audience, and says which issuer it was", async () => {
    const byOurs = await orders(ours);
    expect(byOurs.status).toBe(200);
    expect(await byOurs.json()).toMatchObject({ issuer: provider.issuer, scopes: ['orders:read'] });
    const byOp = await orders(opToken);
    expect(byOp.status).toBe(200);
    expect(await byOp.json()).toMatchObject({ issuer: op.issuer, sub: 'm2m', scopes: ['orders:read'] });
    const byLocal = await orders(await local.sign({}));
    expect(byLocal.status).toBe(200);
    expect(await byLocal.json()).toEqual({ issuer: local.issuer, sub: 'partner-job', clientId: 'partner', scopes: ['orders:read'] });
  });

  it("refuses a token for another issuer's audience: each issuer's tokens count for its own audience only", async () => {
    // Our provider's token, for the audience this API accepts from oidc-provider.
    const res = await orders(oursForOpAudience);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    // The local issuer's token, for the audience this API accepts from our provider.
    expect((await orders(await local.sign({ aud: API }))).status).toBe(401);
    expect((await orders(await local.sign({ aud: OP_RESOURCE }))).status).toBe(401);
  });

  it("refuses a token signed with one issuer's key that claims another issuer, and asks the named issuer only", async () => {
    local.hits.clear();
    for (const claimed of [provider.issuer, op.issuer]) {
      for (const aud of [API, OP_RESOURCE, LOCAL_AUDIENCE]) {
        const forged = await local.sign({ iss: claimed, aud });
        const res = await orders(forged);
        expect(res.status, `${claimed} ${aud}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      }
    }
    // The local issuer's keys were never consulted for tokens that claim another issuer.
    expect([...local.hits.keys()]).toEqual([]);
  });

  it("applies the issuer's own algorithms: the local issuer's RS256 token is refused, though its key is in that issuer's JWKS", async () => {
    expect((await orders(await local.sign({}, 'RS256'))).status).toBe(401);
    expect((await orders(await local.sign({}, 'ES256'))).status).toBe(200);
  });

  it('refuses a token of an issuer not configured, or without a usable iss, before any request to an issuer', async () => {
    local.hits.clear();
    const cases = [{ iss: 'https://elsewhere.example' }, { iss: `${local.issuer}/` }, { iss: local.issuer.toUpperCase() }, { iss: undefined }, { iss: 42 }, { iss: [local.issuer] }];
    for (const claims of cases) {
      const res = await orders(await local.sign(claims));
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(await res.json(), JSON.stringify(claims)).toEqual({ error: 'invalid_token', error_description: 'the token is not from a trusted issuer' });
    }
    expect([...local.hits.keys()]).toEqual([]);
    expect((await orders('not-a-token')).status).toBe(401);
    expect((await orders()).status).toBe(401);
  });

  it('an unreachable issuer answers 503 for its own tokens only; the others go on', async () => {
    const gone = await startLocalIssuer();
    const app = express();
    app.get('/', bearerAuth({ issuers: [{ issuer: provider.issuer, audience: API }, { issuer: gone.issuer, audience: LOCAL_AUDIENCE }], allowInsecureRequests: true, timeout: 2000 }), (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const token = await gone.sign({});
      await gone.close();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect((await fetch(url, { headers: { authorization: `Bearer ${ours}` } })).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('jwtOidcPlugin with three issuers', () => {
  it('getAuth(ctx).issuer names the issuer of the token', async () => {
    for (const [token, issuer] of [
      [ours, provider.issuer],
      [opToken, op.issuer],
      [await local.sign({}), local.issuer],
    ] as const) {
      const r = await caller(token);
      expect(r.status, issuer).toBe(200);
      expect(r.body.data?.caller.issuer).toBe(issuer);
    }
  });

  it('a forged or foreign token is 401 UNAUTHENTICATED; the challenge names no realm unless one is set', async () => {
    const r = await caller(await local.sign({ iss: provider.issuer, aud: API }));
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(r.challenge).toMatch(/^Bearer error="invalid_token"/);
    expect(r.challenge).not.toContain('realm');
  });
});

describe('configuration', () => {
  it('refuses issuer and issuers together, an empty list, and an issuer listed twice', () => {
    expect(() => trustedIssuers({ issuer: 'https://a.example', audience: API, issuers: [{ issuer: 'https://b.example', audience: API }] } as never)).toThrow(/either issuer .* or issuers/);
    expect(() => new IssuerSet({ issuers: [] })).toThrow(/at least one/);
    expect(() => new IssuerSet({ issuers: [{ issuer: 'https://a.example', audience: API }, { issuer: 'https://a.example', audience: LOCAL_AUDIENCE }] })).toThrow(/twice/);
    // Each issuer is checked as a RemoteIssuer is: https unless allowed, no symmetric algorithm.
    expect(() => new IssuerSet({ issuers: [{ issuer: 'http://a.example', audience: API }] })).toThrow(/https/);
    expect(() => new IssuerSet({ issuers: [{ issuer: 'https://a.example', audience: API, algorithms: ['HS256'] }] })).toThrow(/symmetric/);
    expect(() => bearerAuth({ issuers: [] })).toThrow(/at least one/);
    expect(() => jwtOidcPlugin({ issuers: [] })).toThrow(/at least one/);
  });

  it('with one issuer, the realm is still the issuer', async () => {
    const app = express();
    app.get('/', bearerAuth({ issuer: provider.issuer, audience: API, allowInsecureRequests: true }), (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${provider.issuer}"`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
