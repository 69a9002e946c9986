/**
 * DPoP-bound access tokens (RFC 9449 §7) at resource servers: `bearerAuth` of @jwt-oidc/express
 * and `jwtOidcPlugin` of @jwt-oidc/apollo (Apollo Server 5), over loopback HTTP, with tokens
 * minted by a local key set (its JWKS served on loopback) and bound by `cnf.jkt`, and proofs
 * signed with jose. The challenges are checked exactly (§7.1); openid-client's DPoP handle is a
 * real client of the Apollo plugin.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { authDirectivesTypeDefs, CLOSE_UNAUTHORIZED, getAuth, jwtOidcPlugin, withSubscriptionAuth, type JwtOidcPluginOptions } from '@jwt-oidc/apollo';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { closedWithin, connectWs } from '../support/graphql-ws.js';
import { bearerAuth, type BearerAuthOptions } from '@jwt-oidc/express';
import { accessTokenHash, dpopNonces, protectedResourceMetadata } from '@jwt-oidc/resource';
import express from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const API = 'https://api.example';
const REALM = 'api';
const RM = 'https://api.example/.well-known/oauth-protected-resource';
const ALGS = 'ES256 PS256';

let issuer: string;
let signingKey: CryptoKey;
const servers: Server[] = [];
const stops: (() => Promise<void>)[] = [];

interface ClientKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}
let alice: ClientKey;
let mallory: ClientKey;

async function clientKey(): Promise<ClientKey> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { ...pair, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

let serial = 0;
/** An RFC 9068 access token of the local issuer; `jkt` binds it (cnf, RFC 9449 §6.1). */
function mint(jkt?: string, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'alice', client_id: 'app', scope: 'openid orders:read', jti: `t-${++serial}`, ...(jkt ? { cnf: { jkt } } : {}), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(API)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signingKey);
}

/** A DPoP proof (RFC 9449 §4.2) by `key` for `htm` and `htu`, naming `token` (ath). */
function proof(key: ClientKey, htm: string, htu: string, token: string | undefined, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: `p-${++serial}-${Math.random()}`, htm, htu, iat: Math.floor(Date.now() / 1000), ...(token ? { ath: accessTokenHash(token) } : {}), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const trust = () => ({ issuer, jwksUri: `${issuer}/jwks`, audience: API, allowInsecureRequests: true, realm: REALM, resourceMetadataUrl: RM });

async function restApi(options: Partial<BearerAuthOptions>, configure?: (app: express.Express) => void): Promise<string> {
  const app = express();
  configure?.(app);
  app.get('/orders', bearerAuth({ ...trust(), scopes: [['orders:read']], ...options } as BearerAuthOptions), (req, res) => {
    res.json({ sub: req.auth?.sub ?? null });
  });
  return `${await listen(createServer(app))}/orders`;
}

async function graphqlApi(options: Partial<JwtOidcPluginOptions>): Promise<string> {
  const server = new ApolloServer({
    typeDefs: `#graphql
      ${authDirectivesTypeDefs}
      type Query { me: String @authenticated, orders: [String!]! @requiresScopes(scopes: [["admin"]]) }
    `,
    resolvers: { Query: { me: (_: unknown, __: unknown, ctx: object) => getAuth(ctx)!.sub, orders: () => [] } },
    plugins: [jwtOidcPlugin({ ...trust(), ...options } as JwtOidcPluginOptions)],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  stops.push(() => server.stop());
  return url;
}

interface Answer {
  status: number;
  challenge: string | null;
  nonce: string | null;
  body: Record<string, unknown>;
}

async function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const res = await fetch(url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), nonce: res.headers.get('dpop-nonce'), body: (await res.json()) as Record<string, unknown> };
}

/** The two adapters, one request of each: a REST GET and a GraphQL POST. */
interface Adapter {
  name: string;
  method: string;
  /** The server with DPoP (algorithms ES256 and PS256), one requiring nonces, one taking DPoP tokens only. */
  plain: string;
  nonce: string;
  required: string;
  ok(a: Answer): void;
  send(url: string, headers: Record<string, string>): Promise<Answer>;
}

const adapters: Adapter[] = [];
const both = `Bearer realm="${REALM}", resource_metadata="${RM}", DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}"`;
const dpopError = (error: string, description: string) => `Bearer realm="${REALM}", resource_metadata="${RM}", DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}", error="${error}", error_description="${description}"`;
const bearerError = (error: string, description: string) => `Bearer realm="${REALM}", resource_metadata="${RM}", error="${error}", error_description="${description}", DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}"`;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
  issuer = await listen(createServer((req, res) => (req.url === '/jwks' ? res.writeHead(200, { 'content-type': 'application/json' }).end(jwks) : res.writeHead(404).end())));
  [alice, mallory] = await Promise.all([clientKey(), clientKey()]);

  const dpop = { algorithms: ['ES256', 'PS256'] };
  const nonces = dpopNonces({ secret: 'a shared secret of the instances' });
  adapters.push({
    name: 'express bearerAuth',
    method: 'GET',
    plain: await restApi({ dpop }),
    nonce: await restApi({ dpop: { ...dpop, nonces } }),
    required: await restApi({ dpop: { ...dpop, required: true } }),
    ok: (a) => expect(a.body).toEqual({ sub: 'alice' }),
    send: (url, headers) => call(url, 'GET', headers),
  });
  const apolloPlain = await graphqlApi({ dpop });
  adapters.push({
    name: 'apollo jwtOidcPlugin',
    method: 'POST',
    plain: apolloPlain,
    nonce: await graphqlApi({ dpop: { ...dpop, nonces } }),
    required: await graphqlApi({ dpop: { ...dpop, required: true } }),
    ok: (a) => expect(a.body).toEqual({ data: { me: 'alice' } }),
    send: (url, headers) => call(url, 'POST', headers, JSON.stringify({ query: '{ me }' })),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe.each([
  ['express bearerAuth', 0],
  ['apollo jwtOidcPlugin', 1],
])('DPoP at %s', (_name, i) => {
  const a = () => adapters[i]!;
  const dpopHeaders = async (url: string, token: string, key = alice, extra: Record<string, unknown> = {}) => ({ authorization: `DPoP ${token}`, dpop: await proof(key, a().method, url, token, extra) });

  it('accepts a bound token with a good proof; an unbound token as Bearer as before', async () => {
    const token = await mint(alice.jkt);
    const answer = await a().send(a().plain, await dpopHeaders(a().plain, token));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    a().ok(answer);
    const bearer = await a().send(a().plain, { authorization: `Bearer ${await mint()}` });
    expect(bearer.status).toBe(200);
    a().ok(bearer);
  });

  it('DP-30 without credentials: 401 with both challenges, no error (RFC 6750 §3.1, RFC 9449 §7.1)', async () => {
    const answer = await a().send(a().plain, {});
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(both);
  });

  it('DP-20 DP-21 DP-22 DP-30 refuses a bound token without a proof, with a proof by another key, with wrong htm, htu or ath: 401 invalid_dpop_proof in the DPoP challenge', async () => {
    const token = await mint(alice.jkt);
    const url = a().plain;
    const cases: [Record<string, string>, string][] = [
      [{ authorization: `DPoP ${token}` }, 'the DPoP proof is missing'],
      [await dpopHeaders(url, token, mallory), 'the DPoP proof is signed by another key than the access token is bound to'],
      [{ authorization: `DPoP ${token}`, dpop: await proof(alice, a().method === 'GET' ? 'POST' : 'GET', url, token) }, "the DPoP proof's htm is not this request's method"],
      [{ authorization: `DPoP ${token}`, dpop: await proof(alice, a().method, 'https://other.example/orders', token) }, "the DPoP proof's htu is not this request's URI"],
      [{ authorization: `DPoP ${token}`, dpop: await proof(alice, a().method, url, await mint(alice.jkt)) }, "the DPoP proof's ath does not match the access token"],
    ];
    for (const [headers, description] of cases) {
      const answer = await a().send(url, headers);
      expect(answer.status, description).toBe(401);
      expect(answer.challenge).toBe(dpopError('invalid_dpop_proof', description));
    }
    // And a good proof for the same token still works.
    expect((await a().send(url, await dpopHeaders(url, token))).status).toBe(200);
  });

  it('DP-24 DP-30 refuses a bound token sent as Bearer (no downgrade, §7.2), and an unbound one sent as DPoP', async () => {
    const bound = await a().send(a().plain, { authorization: `Bearer ${await mint(alice.jkt)}` });
    expect(bound.status).toBe(401);
    expect(bound.challenge).toBe(bearerError('invalid_token', 'the access token is bound to a DPoP key; send it with the DPoP scheme and a proof'));
    const plain = await mint();
    const unbound = await a().send(a().plain, await dpopHeaders(a().plain, plain));
    expect(unbound.status).toBe(401);
    expect(unbound.challenge).toBe(dpopError('invalid_token', 'the access token is not bound to a DPoP key; send it with the Bearer scheme'));
  });

  it('DP-23 accepts each proof once: a replay is refused, and of 10 parallel requests with one proof exactly one succeeds', async () => {
    const token = await mint(alice.jkt);
    const headers = await dpopHeaders(a().plain, token);
    expect((await a().send(a().plain, headers)).status).toBe(200);
    const replay = await a().send(a().plain, headers);
    expect(replay.status).toBe(401);
    expect(replay.challenge).toBe(dpopError('invalid_dpop_proof', 'the DPoP proof has been used before'));

    const burst = await dpopHeaders(a().plain, await mint(alice.jkt));
    const answers = await Promise.all(Array.from({ length: 10 }, () => a().send(a().plain, burst)));
    expect(answers.map((x) => x.status).sort()).toEqual([200, ...Array(9).fill(401)]);
  });

  it('DP-25 the verified-token cache never stands in for a proof: the same token twice with fresh proofs works, a replayed proof of a cached token is refused', async () => {
    const token = await mint(alice.jkt);
    const first = await dpopHeaders(a().plain, token);
    expect((await a().send(a().plain, first)).status).toBe(200);
    expect((await a().send(a().plain, await dpopHeaders(a().plain, token))).status).toBe(200);
    expect((await a().send(a().plain, first)).status).toBe(401);
    expect((await a().send(a().plain, { authorization: `DPoP ${token}` })).challenge).toBe(dpopError('invalid_dpop_proof', 'the DPoP proof is missing'));
    expect((await a().send(a().plain, await dpopHeaders(a().plain, token, mallory))).status).toBe(401);
  });

  it('DP-26 nonces required: 401 use_dpop_nonce with a DPoP-Nonce header, then the retry with that nonce succeeds (§9)', async () => {
    const url = a().nonce;
    const token = await mint(alice.jkt);
    const first = await a().send(url, await dpopHeaders(url, token));
    expect(first.status).toBe(401);
    expect(first.challenge).toBe(dpopError('use_dpop_nonce', 'the authorization server requires a DPoP nonce'));
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stale = await a().send(url, await dpopHeaders(url, token, alice, { nonce: 'not-a-nonce' }));
    expect(stale.status).toBe(401);
    expect(stale.challenge).toContain('error="use_dpop_nonce"');
    const retry = await a().send(url, await dpopHeaders(url, token, alice, { nonce: first.nonce }));
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    a().ok(retry);
  });

  it('DP-27 DPoP required: a bearer token is refused with the DPoP challenge alone; a bound token with its proof is accepted', async () => {
    const url = a().required;
    const bearer = await a().send(url, { authorization: `Bearer ${await mint()}` });
    expect(bearer.status).toBe(401);
    expect(bearer.challenge).toBe(`DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}", error="invalid_token", error_description="this API takes DPoP-bound access tokens only: send the token with the DPoP scheme and a proof"`);
    const none = await a().send(url, {});
    expect(none.challenge).toBe(`DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}"`);
    const token = await mint(alice.jkt);
    expect((await a().send(url, await dpopHeaders(url, token))).status).toBe(200);
  });
});

describe('DPoP: the request URL (htu) and the options', () => {
  it('DP-28 express: behind a proxy, `trust proxy` makes the public URL from X-Forwarded-Proto and -Host; `publicUrl` sets it', async () => {
    const proxied = await restApi({ dpop: {} }, (app) => app.set('trust proxy', 'loopback'));
    const token = await mint(alice.jkt);
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' };
    const good = await call(proxied, 'GET', { ...forwarded, authorization: `DPoP ${token}`, dpop: await proof(alice, 'GET', 'https://shop.example/orders', token) });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    const local = await call(proxied, 'GET', { ...forwarded, authorization: `DPoP ${token}`, dpop: await proof(alice, 'GET', proxied, token) });
    expect(local.status).toBe(401);

    const fixed = await restApi({ dpop: {}, publicUrl: 'https://example.com/api/' });
    const atPrefix = await call(`${fixed}?page=2`, 'GET', { authorization: `DPoP ${token}`, dpop: await proof(alice, 'GET', 'https://example.com/api/orders', token) });
    expect(atPrefix.status, JSON.stringify(atPrefix.body)).toBe(200);
  });

  it('DP-28 apollo: `publicUrl` is the htu', async () => {
    const url = await graphqlApi({ dpop: {}, publicUrl: 'https://api.example/graphql' });
    const token = await mint(alice.jkt);
    const send = async (htu: string) => call(url, 'POST', { authorization: `DPoP ${token}`, dpop: await proof(alice, 'POST', htu, token) }, JSON.stringify({ query: '{ me }' }));
    expect((await send('https://api.example/graphql')).status).toBe(200);
    expect((await send(url)).status).toBe(401);
  });

  it('DP-24 without the option dpop, a bound token is refused (never taken as a bearer token) and challenges stay Bearer only', async () => {
    const url = await restApi({});
    const answer = await call(url, 'GET', { authorization: `Bearer ${await mint(alice.jkt)}` });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe(`Bearer realm="${REALM}", resource_metadata="${RM}", error="invalid_token", error_description="the access token is bound to a DPoP key, and this API does not take DPoP"`);
    expect((await call(url, 'GET', {})).challenge).toBe(`Bearer realm="${REALM}", resource_metadata="${RM}"`);
  });

  it('DP-30 an insufficient_scope refusal of a DPoP request is answered in the DPoP challenge', async () => {
    const url = adapters[1]!.plain;
    const token = await mint(alice.jkt);
    const answer = await call(url, 'POST', { authorization: `DPoP ${token}`, dpop: await proof(alice, 'POST', url, token) }, JSON.stringify({ query: '{ orders }' }));
    expect(answer.status).toBe(403);
    expect(answer.challenge).toBe(`Bearer realm="${REALM}", resource_metadata="${RM}", DPoP realm="${REALM}", resource_metadata="${RM}", algs="${ALGS}", error="insufficient_scope", error_description="the access token lacks a required scope", scope="admin"`);
  });

  it('resource metadata names the DPoP algorithms and whether bound tokens are required (RFC 9728 §2)', () => {
    const { document } = protectedResourceMetadata({ resource: API, dpopSigningAlgValuesSupported: ['ES256'], dpopBoundAccessTokensRequired: true });
    expect(document).toMatchObject({ dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: true });
    expect(protectedResourceMetadata({ resource: API }).document).not.toHaveProperty('dpop_signing_alg_values_supported');
  });
});

describe('DPoP and subscriptions (graphql-ws): a proof names one HTTP request, so bound tokens are refused on a WebSocket', () => {
  let wsUrl: string;
  beforeAll(async () => {
    const schema = buildSchema(`type Query { hello: String } type Subscription { tick: String }`);
    (schema.getSubscriptionType()!.getFields().tick!).subscribe = async function* () {
      yield { tick: 'tock' };
    };
    const server = createServer();
    const wss = new WebSocketServer({ server, path: '/graphql' });
    const cleanup = useServer(withSubscriptionAuth({ schema }, jwtOidcPlugin({ ...trust(), dpop: {} })), wss);
    stops.push(async () => {
      await cleanup.dispose();
      wss.close();
    });
    wsUrl = `${(await listen(server)).replace('http', 'ws')}/graphql`;
  });

  it('DP-29 `DPoP <token>` in connection_init or the upgrade header, or a bound token as Bearer: closed with 4401 and a reason that says so; a bearer token works', async () => {
    const bound = await mint(alice.jkt);
    for (const options of [{ params: { authorization: `DPoP ${bound}` } }, { headers: { authorization: `DPoP ${bound}` } }]) {
      const session = connectWs(wsUrl, options);
      expect(await closedWithin(session, 5000)).toEqual({ code: CLOSE_UNAUTHORIZED, reason: 'DPoP-bound tokens cannot be used over a WebSocket; use a bearer token' });
    }
    const asBearer = connectWs(wsUrl, { token: bound });
    expect(await closedWithin(asBearer, 5000)).toEqual({ code: CLOSE_UNAUTHORIZED, reason: 'a DPoP-bound access token cannot be used over a WebSocket; use a bearer token for subscriptions' });

    const ok = connectWs(wsUrl, { token: await mint() });
    const tick = ok.subscribe('subscription { tick }');
    await tick.done;
    expect(tick.results).toEqual([{ data: { tick: 'tock' } }]);
    await ok.client.dispose();
  });
});

describe('DPoP with openid-client as the client', () => {
  it("getDPoPHandle + fetchProtectedResource against the Apollo plugin: accepted; with nonces required, openid-client's retry with the DPoP-Nonce succeeds", async () => {
    const config = new oc.Configuration({ issuer }, 'app');
    oc.allowInsecureRequests(config);
    const keyPair = await generateKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const token = await mint(jkt);
    const query = JSON.stringify({ query: '{ me }' });
    const headers = () => new Headers({ 'content-type': 'application/json' });

    const handle = oc.getDPoPHandle(config, keyPair);
    const res = await oc.fetchProtectedResource(config, token, new URL(adapters[1]!.plain), 'POST', query, headers(), { DPoP: handle });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: 'alice' } });

    // Nonces required: openid-client meets use_dpop_nonce, takes the DPoP-Nonce and retries
    // once by itself; the next request of the same handle carries the nonce at once.
    const seen: (string | undefined)[] = [];
    const nonced = new ApolloServer({
      typeDefs: `#graphql
        ${authDirectivesTypeDefs}
        type Query { me: String @authenticated }
      `,
      resolvers: { Query: { me: (_: unknown, __: unknown, ctx: object) => getAuth(ctx)!.sub } },
      plugins: [
        { requestDidStart: async ({ request }) => void seen.push(request.http?.headers.get('dpop')) },
        jwtOidcPlugin({ ...trust(), dpop: { nonces: dpopNonces() } }),
      ],
    });
    const { url: noncedUrl } = await startStandaloneServer(nonced, { listen: { port: 0, host: '127.0.0.1' } });
    stops.push(() => nonced.stop());
    const handle2 = oc.getDPoPHandle(config, keyPair);
    for (const expected of [2, 1]) {
      seen.length = 0;
      const answer = await oc.fetchProtectedResource(config, token, new URL(noncedUrl), 'POST', query, headers(), { DPoP: handle2 });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ data: { me: 'alice' } });
      expect(seen).toHaveLength(expected);
      expect(seen.every((p) => typeof p === 'string')).toBe(true);
    }

    // Its proof made with another key than the token's: refused.
    const other = oc.getDPoPHandle(config, await generateKeyPair('ES256'));
    const refused = await oc.fetchProtectedResource(config, token, new URL(adapters[1]!.plain), 'POST', query, headers(), { DPoP: other }).then(
      (r) => r.status,
      (e: unknown) => (e as { status?: number }).status ?? String(e),
    );
    expect(refused).toBe(401);
  });
});
