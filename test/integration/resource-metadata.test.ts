/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) as a client meets it: a request without a
 * good token is refused with a challenge naming `resource_metadata` (§5.1); the client fetches
 * that document, checks that its `resource` is the API it called (§3.3), goes to the
 * authorization server it names, gets a token there, and comes back. For an Express API with
 * @jwt-oidc/express, an Apollo Server with @jwt-oidc/apollo, and the service's own /graphql.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { jwtOidcPlugin } from '@jwt-oidc/apollo';
import { bearerAuth, protectedResourceMetadata } from '@jwt-oidc/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let job: { clientId: string; clientSecret?: string };
let restApi: Server;
let restOrigin: string;
let graphqlApi: ApolloServer;
let graphqlUrl: string;

beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_API_SCOPES: 'orders:read' });
  // Both APIs are on loopback ports, so their identifiers are known only once they listen: the
  // audience the tokens name is fixed beforehand, as an API's identifier usually is.
  job = await provider.createClient({ name: 'Orders job', audiences: ['https://shop.example/api'], grantTypes: ['client_credentials'] });

  const app = express();
  restApi = app.listen(0, '127.0.0.1');
  await once(restApi, 'listening');
  restOrigin = `http://127.0.0.1:${(restApi.address() as AddressInfo).port}`;
  const metadata = protectedResourceMetadata({ resource: `${restOrigin}/api`, authorizationServers: [provider.issuer], scopesSupported: ['orders:read'], resourceName: 'Orders' });
  app.use(metadata);
  app.get('/api/orders', bearerAuth({ issuer: provider.issuer, audience: 'https://shop.example/api', allowInsecureRequests: true, scopes: [['orders:read']], resourceMetadataUrl: metadata.url }), (req, res) => {
    res.json({ orders: [], for: req.auth!.clientId });
  });

  graphqlApi = new ApolloServer<object>({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'hi' } },
    plugins: [jwtOidcPlugin({ issuer: provider.issuer, audience: 'https://shop.example/api', allowInsecureRequests: true, requireAuth: true, resourceMetadataUrl: 'https://shop.example/.well-known/oauth-protected-resource/graphql' })],
  });
  ({ url: graphqlUrl } = await startStandaloneServer(graphqlApi, { listen: { port: 0, host: '127.0.0.1' }, context: async () => ({}) }));
}, 120_000);

afterAll(async () => {
  await graphqlApi?.stop();
  await new Promise((r) => (restApi ? restApi.close(r) : r(undefined)));
  await provider?.close();
});

/** The `resource_metadata` URL of a Bearer challenge (RFC 9728 §5.1). */
function resourceMetadataOf(challenge: string | null): string | undefined {
  return challenge?.match(/resource_metadata="([^"]*)"/)?.[1];
}

/**
 * A client that knows nothing but the API's URL: from the 401 to the metadata, from the metadata
 * to the authorization server's discovery and token endpoint, back with a token.
 */
async function followToToken(apiUrl: string, resource: string, client: { clientId: string; clientSecret?: string }): Promise<{ token: string; metadata: Record<string, unknown> }> {
  const refused = await fetch(apiUrl);
  expect(refused.status).toBe(401);
  const metadataUrl = resourceMetadataOf(refused.headers.get('www-authenticate'));
  expect(metadataUrl, refused.headers.get('www-authenticate') ?? '').toBeDefined();
  const res = await fetch(metadataUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const metadata = (await res.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
  // §3.3: the document is about the resource the client called, or it is not to be used.
  expect(metadata.resource).toBe(resource);
  const issuer = metadata.authorization_servers[0]!;
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; token_endpoint: string };
  expect(discovery.issuer).toBe(issuer);
  const tokenRes = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: metadata.scopes_supported.filter((s) => s !== 'openid' && s !== 'admin').join(' ') }),
  });
  const body = (await tokenRes.json()) as { access_token: string };
  expect(tokenRes.status, JSON.stringify(body)).toBe(200);
  return { token: body.access_token, metadata };
}

describe('an Express API with protectedResourceMetadata and bearerAuth', () => {
  it('a client follows the 401 to the metadata, to the authorization server, and back with a token that works', async () => {
    const { token, metadata } = await followToToken(`${restOrigin}/api/orders`, `${restOrigin}/api`, job);
    expect(metadata).toEqual({ resource: `${restOrigin}/api`, authorization_servers: [provider.issuer], scopes_supported: ['orders:read'], bearer_methods_supported: ['header'], resource_name: 'Orders' });
    const ok = await fetch(`${restOrigin}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ orders: [], for: job.clientId });
  });

  it('every refusal names the metadata: no token, a bad token, a missing scope', async () => {
    const url = `${restOrigin}/.well-known/oauth-protected-resource/api`;
    const noScope = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${job.clientId}:${job.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    for (const [authorization, status] of [[undefined, 401], ['Bearer nope', 401], [`Bearer ${noScope}`, 403]] as const) {
      const res = await fetch(`${restOrigin}/api/orders`, { headers: authorization ? { authorization } : {} });
      expect(res.status, authorization).toBe(status);
      expect(resourceMetadataOf(res.headers.get('www-authenticate')), authorization).toBe(url);
    }
  });

  it('serves the document to GET and HEAD, cacheable, to any origin (browser clients read it too)', async () => {
    const url = `${restOrigin}/.well-known/oauth-protected-resource/api`;
    const get = await fetch(url, { headers: { origin: 'https://spa.example' } });
    expect(get.headers.get('cache-control')).toBe('public, max-age=300');
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    // Only the resource's own path: the root document belongs to a resource at the root.
    expect((await fetch(`${restOrigin}/.well-known/oauth-protected-resource`)).status).toBe(404);
  });
});

describe('an Apollo Server with resourceMetadataUrl', () => {
  it('names the metadata in the challenge of a refused operation', async () => {
    for (const authorization of [undefined, 'Bearer nope']) {
      const res = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify({ query: '{ hello }' }) });
      expect(res.status, authorization).toBe(401);
      expect(resourceMetadataOf(res.headers.get('www-authenticate')), authorization).toBe('https://shop.example/.well-known/oauth-protected-resource/graphql');
    }
  });
});

describe("the service's own /graphql", () => {
  it('publishes its metadata, names it in its challenges, and a client that follows it gets a token the API takes', async () => {
    const origin = new URL(provider.issuer).origin;
    const admin = await provider.createClient({ name: 'Automation', grantTypes: ['client_credentials'], admin: true });
    const graphql = `${origin}/graphql`;
    const bad = await fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify({ query: '{ serverInfo { issuer } }' }) });
    expect(bad.status).toBe(401);
    const metadataUrl = resourceMetadataOf(bad.headers.get('www-authenticate'));
    expect(metadataUrl).toBe(`${origin}/.well-known/oauth-protected-resource/graphql`);
    const metadata = (await (await fetch(metadataUrl!)).json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    expect(metadata).toMatchObject({ resource: graphql, authorization_servers: [provider.issuer], bearer_methods_supported: ['header'] });
    // Its DPoP proofs' algorithms (RFC 9728 §2; RFC 9449 §5.1), as /token checks them; bearer tokens are still taken.
    expect((metadata as Record<string, unknown>).dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'EdDSA']));
    expect((metadata as Record<string, unknown>).dpop_bound_access_tokens_required).toBeUndefined();
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'admin']));
    const tokenRes = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${admin.clientId}:${admin.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const ok = await fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` }, body: JSON.stringify({ query: '{ clients(first: 5) { edges { node { id } } } }' }) });
    const body = (await ok.json()) as { data?: { clients: { edges: { node: { id: string } }[] } }; errors?: unknown };
    expect(ok.status, JSON.stringify(body)).toBe(200);
    expect(body.data?.clients.edges.map((e) => e.node.id)).toContain(admin.clientId);
  });
});
