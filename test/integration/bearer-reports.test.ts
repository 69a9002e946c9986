/**
 * What the resource-server middlewares tell their operator: `onVerified` once per accepted token,
 * `onRejected` and one `warn` log record per refused request, with the reason code and never the
 * token (RFC 6750 §5.3); a hook that throws changes no answer. For `bearerAuth` of
 * @jwt-oidc/express and `jwtOidcPlugin` of @jwt-oidc/apollo, against our provider on loopback.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { jwtOidcPlugin } from '@jwt-oidc/apollo';
import { bearerAuth, type BearerAuthOptions } from '@jwt-oidc/express';
import type { RejectedEvent, VerifiedEvent } from '@jwt-oidc/resource';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientToken, startProvider, type TestProvider } from '../support/provider.js';

const API = 'https://shop.example/api';

let provider: TestProvider;
let job: { clientId: string; clientSecret?: string };
let ordersToken: string;
let plainToken: string;
let deadIssuer: string;

const verified: VerifiedEvent[] = [];
const rejected: RejectedEvent[] = [];
const logs: { obj: Record<string, unknown>; msg: string }[] = [];
const hooks = {
  onVerified: (e: VerifiedEvent) => verified.push(e),
  onRejected: (e: RejectedEvent) => rejected.push(e),
  logger: { warn: (obj: object, msg: string) => logs.push({ obj: obj as Record<string, unknown>, msg }) },
};

const servers: Server[] = [];
async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function restApi(options: Partial<BearerAuthOptions>): Promise<string> {
  const app = express();
  app.get('/orders', bearerAuth({ issuer: provider.issuer, audience: API, allowInsecureRequests: true, scopes: [['orders:read']], ...hooks, ...options } as BearerAuthOptions), (_req, res) => {
    res.json([]);
  });
  return listen(app);
}

beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' });
  job = await provider.createClient({ name: 'Orders job', audiences: [API], grantTypes: ['client_credentials'] });
  [ordersToken, plainToken] = await Promise.all([clientToken(provider, job, 'orders:read'), clientToken(provider, job)]);
  // An issuer that answers nothing: its port is closed once known.
  const dead = createServer().listen(0, '127.0.0.1');
  await once(dead, 'listening');
  deadIssuer = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise((r) => dead.close(r));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await provider?.close();
});

beforeEach(() => {
  verified.length = 0;
  rejected.length = 0;
  logs.length = 0;
});

/** Nothing any hook or log record received contains a token, or its signature. */
function expectNoToken() {
  const seen = JSON.stringify({ verified, rejected, logs });
  for (const token of [ordersToken, plainToken]) {
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(token.split('.')[2]);
  }
}

describe('bearerAuth', () => {
  it('reports an accepted token once, with who and which issuer; nothing is logged', async () => {
    const url = await restApi({});
    expect((await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${ordersToken}` } })).status).toBe(200);
    expect(verified).toEqual([{ issuer: provider.issuer, sub: job.clientId, clientId: job.clientId, scopes: ['orders:read'] }]);
    expect(rejected).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('reports each refusal once with its reason code and status, logs it once at warn, and never the token', async () => {
    const url = await restApi({});
    const cases = [
      [{}, '', 'missing', 401],
      [{ authorization: 'Bearer not-a-jwt' }, '', 'invalid_token', 401],
      [{ authorization: `Bearer ${ordersToken}x` }, '', 'invalid_token', 401],
      [{ authorization: `Bearer ${ordersToken}` }, `?access_token=${ordersToken}`, 'invalid_request', 400],
      [{ authorization: `Bearer ${plainToken}` }, '', 'insufficient_scope', 403],
    ] as const;
    for (const [headers, query, reason, status] of cases) {
      rejected.length = 0;
      logs.length = 0;
      const res = await fetch(`${url}/orders${query}`, { headers });
      expect(res.status, reason).toBe(status);
      expect(rejected, reason).toEqual([{ reason, status, description: expect.any(String) }]);
      expect(logs, reason).toEqual([{ obj: { reason, status, description: rejected[0]!.description }, msg: 'bearer token refused' }]);
      expectNoToken();
    }
  });

  it('an issuer that cannot be reached is reported as issuer_unavailable (503)', async () => {
    const url = await restApi({ issuer: deadIssuer, timeout: 2000 });
    const res = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${ordersToken}` } });
    expect(res.status).toBe(503);
    expect(rejected).toEqual([{ reason: 'issuer_unavailable', status: 503, description: expect.any(String) }]);
    expect(logs).toHaveLength(1);
    expectNoToken();
  });

  it('hooks that throw change no answer', async () => {
    const boom = () => {
      throw new Error('metrics are down');
    };
    const url = await restApi({ onVerified: boom, onRejected: boom });
    expect((await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${ordersToken}` } })).status).toBe(200);
    const refused = await fetch(`${url}/orders`, { headers: { authorization: 'Bearer nope' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
  });
});

describe('jwtOidcPlugin', () => {
  let url: string;
  beforeAll(async () => {
    const server = new ApolloServer<object>({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'hi' } },
      plugins: [jwtOidcPlugin({ issuer: provider.issuer, audience: API, allowInsecureRequests: true, requireAuth: true, ...hooks })],
    });
    ({ url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async () => ({}) }));
    return () => server.stop();
  });
  const ask = (authorization?: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify({ query: '{ hello }' }) });

  it('reports an accepted token once, and each refusal once with its reason, never the token', async () => {
    expect((await ask(`Bearer ${ordersToken}`)).status).toBe(200);
    expect(verified).toEqual([{ issuer: provider.issuer, sub: job.clientId, clientId: job.clientId, scopes: ['orders:read'] }]);
    expect(rejected).toEqual([]);
    for (const [authorization, reason] of [[undefined, 'missing'], [`Bearer ${ordersToken}x`, 'invalid_token']] as const) {
      rejected.length = 0;
      logs.length = 0;
      expect((await ask(authorization)).status, reason).toBe(401);
      expect(rejected, reason).toEqual([{ reason, status: 401, description: expect.any(String) }]);
      expect(logs, reason).toHaveLength(1);
    }
    expectNoToken();
  });
});
