/**
 * Opaque access tokens through introspection (RFC 7662), as `bearerAuth` of @jwt-oidc/express
 * checks them with the `introspection` option of RemoteIssuer: against oidc-provider 9 issuing
 * opaque tokens (and revoking them), and against our own /introspect, which reports refresh
 * tokens too — an API must still refuse them. Time passes through the injected clock.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerAuth, type BearerAuthOptions } from '@jwt-oidc/express';
import { IssuerSet } from '@jwt-oidc/resource';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, startProvider, tokensFor, type TestProvider } from '../support/provider.js';
import { OP_RESOURCE, startOidcProvider, type ReferenceOp } from '../support/reference-op.js';

let provider: TestProvider;
let op: ReferenceOp;
const servers: Server[] = [];
/** Milliseconds added to the real clock, for the APIs' RemoteIssuer (`now`). */
let skew = 0;
const now = () => Date.now() + skew;
/** Introspection requests the APIs made, by URL. */
const introspections: string[] = [];
const countingFetch: typeof fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (/introspect/.test(url)) introspections.push(url);
  return fetch(input, init);
};

async function api(options: BearerAuthOptions): Promise<(token: string) => Promise<Response>> {
  const app = express();
  app.get('/orders', bearerAuth({ allowInsecureRequests: true, fetch: countingFetch, now, ...options } as BearerAuthOptions), (req, res) => {
    res.json({ issuer: req.auth!.issuer, sub: req.auth!.sub, clientId: req.auth!.clientId, scopes: req.auth!.scopes });
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  return (token) => fetch(url, { headers: { authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  [provider, op] = await Promise.all([startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' }), startOidcProvider({ scope: 'orders:read', accessTokenFormat: 'opaque' })]);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all([provider?.close(), op?.close()]);
});

describe("oidc-provider's opaque tokens", () => {
  it('are accepted through introspection, the answer is cached, and a revocation is seen once the cache TTL has passed', async () => {
    const call = await api({ issuer: op.issuer, audience: OP_RESOURCE, introspection: op.introspector, introspectionCacheTtl: 30_000, scopes: [['orders:read']] });
    const token = await op.token('orders:read');
    expect(token).not.toContain('.');
    introspections.length = 0;
    const first = await call(token);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ issuer: op.issuer, sub: 'm2m', clientId: 'm2m', scopes: ['orders:read'] });
    // The endpoint came from discovery.
    expect(introspections).toEqual([`${op.issuer}/token/introspection`]);
    expect((await call(token)).status).toBe(200);
    expect(introspections).toHaveLength(1);

    await op.revoke(token);
    skew += 29_000; // within the TTL: the cached answer stands
    expect((await call(token)).status).toBe(200);
    expect(introspections).toHaveLength(1);
    skew += 2_000; // past it: asked again, and refused
    const revoked = await call(token);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ error: 'invalid_token', error_description: 'the access token is not active' });
    expect(introspections).toHaveLength(2);
  });

  it('are refused without the introspection option (as before: not a JWT), and for another audience or scope', async () => {
    const token = await op.token('orders:read');
    expect((await (await api({ issuer: op.issuer, audience: OP_RESOURCE }))(token)).status).toBe(401);
    const other = await (await api({ issuer: op.issuer, audience: 'https://other.example', introspection: op.introspector }))(token);
    expect(other.status).toBe(401);
    expect(await other.json()).toMatchObject({ error_description: 'the access token was issued for another audience' });
    expect((await (await api({ issuer: op.issuer, audience: OP_RESOURCE, introspection: op.introspector, scopes: [['orders:write']] }))(token)).status).toBe(403);
  });

  it('an introspection the provider refuses (wrong credentials) is a 503, never an accepted token', async () => {
    const call = await api({ issuer: op.issuer, audience: OP_RESOURCE, introspection: { clientId: op.introspector.clientId, clientSecret: 'wrong' } });
    const res = await call(await op.token('orders:read'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('in an IssuerSet: opaque tokens go to the one issuer that introspects, JWTs by their iss', async () => {
    const shop = await provider.createClient({ name: 'Shop job', audiences: ['https://shop.example/api'], grantTypes: ['client_credentials'] });
    const call = await api({
      issuers: [
        { issuer: provider.issuer, audience: 'https://shop.example/api' },
        { issuer: op.issuer, audience: OP_RESOURCE, introspection: op.introspector },
      ],
    });
    expect(await (await call(await op.token('orders:read'))).json()).toMatchObject({ issuer: op.issuer });
    expect(await (await call(await clientToken(provider, shop, 'orders:read'))).json()).toMatchObject({ issuer: provider.issuer });
    expect(
      () =>
        new IssuerSet({
          issuers: [
            { issuer: 'https://a.example', audience: 'x', introspection: op.introspector },
            { issuer: 'https://b.example', audience: 'x', introspection: op.introspector },
          ],
        }),
    ).toThrow(/only one issuer/);
  });
});

describe('our own /introspect', () => {
  it('a refresh token it reports as active is still refused as a bearer token; an unknown token is inactive', async () => {
    const rp = await provider.createClient({ name: 'Shop', audiences: ['https://shop.example/api'], grantTypes: ['authorization_code', 'refresh_token'] });
    const user = await provider.createUser();
    const tokens = await tokensFor(provider, rp, user, 'openid offline_access orders:read');
    expect(tokens.refresh_token).toBeTruthy();
    // The API introspects as the client the refresh token belongs to: the provider answers active.
    const call = await api({ issuer: provider.issuer, audience: 'https://shop.example/api', introspection: { clientId: rp.clientId, clientSecret: rp.clientSecret! } });
    introspections.length = 0;
    const refresh = await call(tokens.refresh_token!);
    expect(refresh.status).toBe(401);
    expect(await refresh.json()).toEqual({ error: 'invalid_token', error_description: 'the token is not an access token' });
    expect(introspections).toEqual([`${provider.issuer}/introspect`]);
    const unknown = await call('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error_description: 'the access token is not active' });
    // Its JWT access token is still verified locally, without introspection.
    expect((await call(tokens.access_token)).status).toBe(200);
    expect(introspections).toHaveLength(2);
  });
});
