/**
 * Subscriptions over graphql-ws with `withSubscriptionAuth` of @jwt-oidc/apollo: a WebSocket
 * server (`ws` + graphql-ws's `useServer`) on loopback trusts the tokens of our provider, and
 * graphql-ws's own client connects to it over a real socket. The token comes in connection_init
 * or the upgrade's Authorization header; a bad or missing one closes with 4401 before anything
 * runs; the directives hold per operation; the connection ends at the token's `exp` (time moves
 * through the injected clock of the plugin and the helper) unless renewed in a `ping`; a revoked
 * token closes it at the next revocation check (oidc-provider's opaque tokens, by introspection).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authDirectivesTypeDefs, getAuth, jwtOidcPlugin, withSubscriptionAuth, type JwtOidcPluginOptions, type SubscriptionAuthOptions } from '@jwt-oidc/apollo';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { clientToken, startProvider, type TestProvider } from '../support/provider.js';
import { OP_RESOURCE, startOidcProvider, type ReferenceOp } from '../support/reference-op.js';
import { closedWithin, connectWs, until } from '../support/graphql-ws.js';

const API = 'https://shop.example/api';

/** Milliseconds added to the real clock for the plugin and the helper (the API), and for the provider. */
let skew = 0;
let providerSkew = 0;
const now = () => Date.now() + skew;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function schema(): GraphQLSchema {
  const s = buildSchema(`${authDirectivesTypeDefs}
    type Query { hello: String }
    type Subscription {
      "Counts up every 50 ms, for anyone."
      ticks: Int!
      "Who is calling, every 50 ms: the subject and exp of the connection's current token."
      whoami: String! @authenticated
      orders: String! @requiresScopes(scopes: [["orders:read"]])
    }`);
  const fields = s.getSubscriptionType()!.getFields();
  const every = (value: (ctx: object, i: number) => unknown) =>
    async function* (_: unknown, __: unknown, ctx: object) {
      for (let i = 0; ; i++) {
        yield value(ctx, i);
        await sleep(50);
      }
    };
  fields.ticks!.subscribe = every((_, i) => i);
  fields.ticks!.resolve = (v) => v;
  fields.whoami!.subscribe = every(() => 0);
  fields.whoami!.resolve = (_v, _a, ctx: object) => (getAuth(ctx) ? `${getAuth(ctx)!.sub} ${getAuth(ctx)!.claims.exp}` : 'anonymous');
  fields.orders!.subscribe = every((_, i) => `order ${i}`);
  fields.orders!.resolve = (v) => v;
  return s;
}

const servers: { close(): Promise<void> }[] = [];

/** A WebSocket GraphQL server with the helper, and what it reported. */
async function wsApi(plugin: JwtOidcPluginOptions, options: SubscriptionAuthOptions = {}) {
  const rejected: string[] = [];
  const auth = jwtOidcPlugin({ allowInsecureRequests: true, now, onRejected: (e) => rejected.push(e.reason), ...plugin } as JwtOidcPluginOptions);
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const cleanup = useServer(withSubscriptionAuth({ schema: schema(), context: () => ({ started: Date.now() }) }, auth, { now, ...options }), wss);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  servers.push({ close: async () => (await cleanup.dispose(), await new Promise<void>((r) => http.close(() => r()))) });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`, rejected };
}

/** graphql-ws's client; `header`: the upgrade request's Authorization header. */
const connect = (url: string, options: { token?: string; header?: string; params?: Record<string, unknown> } = {}) =>
  connectWs(url, { token: options.token, params: options.params, headers: options.header ? { authorization: options.header } : undefined });

let provider: TestProvider;
let op: ReferenceOp;
let shop: { clientId: string; clientSecret?: string };
let other: { clientId: string; clientSecret?: string };
let ordersToken: string;
let plainToken: string;

beforeAll(async () => {
  [provider, op] = await Promise.all([startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' }, { clock: { now: () => Date.now() + providerSkew } }), startOidcProvider({ scope: 'orders:read', accessTokenFormat: 'opaque' })]);
  shop = await provider.createClient({ name: 'Shop job', audiences: [API], grantTypes: ['client_credentials'] });
  other = await provider.createClient({ name: 'Other job', audiences: [API], grantTypes: ['client_credentials'] });
  [ordersToken, plainToken] = await Promise.all([clientToken(provider, shop, 'orders:read'), clientToken(provider, shop)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all([provider?.close(), op?.close()]);
});

describe('connecting', () => {
  it('with the token in connection_init: getAuth in a subscription resolver names the caller; @requiresScopes is met', async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const s = connect(url, { token: ordersToken });
    const who = s.subscribe('subscription { whoami }');
    const orders = s.subscribe('subscription { orders }');
    await until('events', () => who.results.length >= 2 && orders.results.length >= 2);
    expect(who.results[0]).toEqual({ data: { whoami: `${shop.clientId} ${decodeJwt(ordersToken).exp}` } });
    expect(orders.results[0]).toEqual({ data: { orders: 'order 0' } });
    await s.client.dispose();
  });

  it("with the token in the upgrade request's Authorization header", async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const s = connect(url, { header: `Bearer ${ordersToken}` });
    const who = s.subscribe('subscription { whoami }');
    await until('an event', () => who.results.length >= 1);
    expect(who.results[0]).toEqual({ data: { whoami: `${shop.clientId} ${decodeJwt(ordersToken).exp}` } });
    await s.client.dispose();
  });

  it('BR-07 without a token where one is required, or with a bad one, or one of another issuer: 4401 before any operation runs', async () => {
    const { url, rejected } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const opToken = await op.token('orders:read');
    const tampered = (() => {
      const [h, , sig] = ordersToken.split('.');
      return `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(ordersToken), sub: 'admin' })).toString('base64url')}.${sig}`;
    })();
    for (const [what, options] of [
      ['no token', {}],
      ['a tampered token', { token: tampered }],
      ["oidc-provider's token", { token: opToken }],
      ['not Bearer', { params: { authorization: `Basic ${ordersToken}` } }],
    ] as const) {
      const s = connect(url, options);
      const sub = s.subscribe('subscription { ticks }');
      const closed = await closedWithin(s, 5000);
      expect(closed.code, what).toBe(4401);
      expect(sub.results, what).toEqual([]);
    }
    expect(rejected).toEqual(['missing', 'invalid_token', 'invalid_token', 'invalid_request']);
  });

  it('BR-07 a token in the URL is refused (4400), even beside a good one', async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API });
    const s = connect(`${url}?access_token=${ordersToken}`, { token: ordersToken });
    expect((await closedWithin(s, 5000)).code).toBe(4400);
  });

  it('anonymous where allowed: open fields run, @authenticated is UNAUTHENTICATED and missing scopes FORBIDDEN, per operation', async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API });
    const anonymous = connect(url);
    const ticks = anonymous.subscribe('subscription { ticks }');
    const who = anonymous.subscribe('subscription { whoami }');
    await until('ticks', () => ticks.results.length >= 2 && who.results.length >= 1);
    expect(who.results).toEqual([{ errors: [{ message: 'authentication is required', extensions: { code: 'UNAUTHENTICATED' } }] }]);
    await anonymous.client.dispose();

    const noScope = connect(url, { token: plainToken });
    const orders = noScope.subscribe('subscription { orders }');
    await until('a refusal', () => orders.results.length >= 1);
    expect(orders.results).toEqual([{ errors: [{ message: 'the access token lacks a required scope', extensions: { code: 'FORBIDDEN', requiredScopes: [['orders:read']] } }] }]);
    await noScope.client.dispose();
  });
});

describe('bursts', () => {
  it('30 connections at once with one token: every one acknowledged, the token verified once (one JWKS fetch, one discovery)', async () => {
    let fetches = 0;
    const counting: typeof fetch = (input, init) => {
      fetches++;
      return fetch(input, init);
    };
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true, fetch: counting } as JwtOidcPluginOptions);
    const token = await clientToken(provider, shop, 'orders:read');
    const sessions = Array.from({ length: 30 }, () => connect(url, { token }));
    const subs = sessions.map((s) => s.subscribe('subscription { whoami }'));
    await until('an event on every connection', () => subs.every((x) => x.results.length > 0), undefined, 15_000);
    expect(subs.every((x) => x.results[0]!.data?.whoami === `${shop.clientId} ${decodeJwt(token).exp}`)).toBe(true);
    expect(fetches).toBe(2);
    await Promise.all(sessions.map((s) => s.client.dispose()));
  });

  it("20 renewals sent at once: the connection stays, and takes the last one sent; one bad renewal among them closes it", async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => clientToken(provider, shop, 'orders:read')));
    const s = connect(url, { token: ordersToken });
    const who = s.subscribe('subscription { whoami }');
    await until('an event', () => who.results.length > 0);
    for (const t of tokens) s.renew(t);
    await expect(closedWithin(s, 1000)).rejects.toThrow(/still open/);
    const last = `${shop.clientId} ${decodeJwt(tokens.at(-1)!).exp}`;
    await until('the last renewal in effect', () => who.results.at(-1)?.data?.whoami === last);

    const t = connect(url, { token: ordersToken });
    t.subscribe('subscription { whoami }');
    await sleep(200);
    for (const [i, renewal] of tokens.entries()) t.renew(i === 10 ? 'not-a-token' : renewal);
    expect((await closedWithin(t, 3000)).code).toBe(4401);
    await s.client.dispose();
  });
});

describe('a connection never outlives its token', () => {
  it('BR-08 is closed with 4401 at exp', async () => {
    skew = 0;
    const { url, rejected } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const token = await clientToken(provider, shop, 'orders:read');
    const exp = decodeJwt(token).exp! * 1000;
    // Two seconds before its end, by the API's clock.
    skew = exp - Date.now() - 2000;
    const s = connect(url, { token });
    const ticks = s.subscribe('subscription { ticks }');
    await until('ticks', () => ticks.results.length >= 3);
    await expect(closedWithin(s, 1000)).rejects.toThrow(/still open/);
    const closed = await closedWithin(s, 3000);
    expect(closed).toEqual({ code: 4401, reason: 'the access token has expired' });
    expect(rejected).toContain('invalid_token');
    skew = 0;
  });

  it('unless renewed in a ping: the fresh token (same subject) carries it past the old exp, and getAuth sees the new one', async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const first = await clientToken(provider, shop, 'orders:read');
    skew = decodeJwt(first).exp! * 1000 - Date.now() - 1500;
    const s = connect(url, { token: first });
    const orders = s.subscribe('subscription { orders }');
    const who = s.subscribe('subscription { whoami }');
    await until('orders', () => orders.results.length >= 1);
    // A token issued at the API's "now": it ends a full lifetime after the first one does.
    providerSkew = skew;
    const fresh = await clientToken(provider, shop, 'orders:read');
    providerSkew = 0;
    expect(decodeJwt(fresh).exp! * 1000).toBeGreaterThan(now() + 60_000);
    s.renew(fresh);
    // Past the first token's exp (by the API's clock), the connection is still there.
    await expect(closedWithin(s, 2500)).rejects.toThrow(/still open/);
    const before = orders.results.length;
    await until('more orders', () => orders.results.length > before + 2);
    expect(who.results[0]).toEqual({ data: { whoami: `${shop.clientId} ${decodeJwt(first).exp}` } });
    expect(who.results.at(-1)).toEqual({ data: { whoami: `${shop.clientId} ${decodeJwt(fresh).exp}` } });
    skew = 0;
    await s.client.dispose();
  });

  it("BR-09 a renewal with someone else's token is 4403, with a bad token 4401, with fewer scopes than an operation needs 4403", async () => {
    const { url } = await wsApi({ issuer: provider.issuer, audience: API, requireAuth: true });
    const someoneElse = await clientToken(provider, other, 'orders:read');
    for (const [what, renewal, code] of [
      ['another subject', someoneElse, 4403],
      ['a bad token', 'not-a-token', 4401],
      ['fewer scopes', plainToken, 4403],
    ] as const) {
      const s = connect(url, { token: ordersToken });
      const orders = s.subscribe('subscription { orders }');
      await until('orders', () => orders.results.length >= 1);
      s.renew(renewal);
      expect((await closedWithin(s, 3000)).code, what).toBe(code);
    }
  });

  it('BR-08 a revoked token closes the connection at the next revocation check (introspection, RFC 7662)', async () => {
    const { url } = await wsApi({ issuer: op.issuer, audience: OP_RESOURCE, introspection: op.introspector, requireAuth: true }, { revocationCheckInterval: 1000 });
    const token = await op.token('orders:read');
    const s = connect(url, { token });
    const orders = s.subscribe('subscription { orders }');
    await until('orders', () => orders.results.length >= 1);
    await expect(closedWithin(s, 1500)).rejects.toThrow(/still open/);
    await op.revoke(token);
    expect(await closedWithin(s, 3000)).toEqual({ code: 4401, reason: 'the access token was revoked' });
  });

  it('revocationCheckInterval without introspection is refused when the server is set up', () => {
    expect(() => withSubscriptionAuth({}, jwtOidcPlugin({ issuer: provider.issuer, audience: API, allowInsecureRequests: true }), { revocationCheckInterval: 5000 })).toThrow(/needs introspection/);
  });
});
