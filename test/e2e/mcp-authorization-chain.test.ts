/**
 * The chain an MCP client walks (the MCP authorization specification, built on RFC 9728, RFC 8414,
 * RFC 7591, RFC 8707, RFC 7636), end to end over real HTTP on loopback, with a certified relying
 * party (openid-client) as the client: the API (Apollo Server 5 with @jwt-oidc/apollo) refuses
 * the anonymous call with a challenge naming `resource_metadata`; the client reads the
 * protected-resource metadata, then the authorization server's RFC 8414 metadata, registers
 * itself (`/register` under the `open` policy), runs the code flow with PKCE and `resource`, and
 * calls the API with a token whose `aud` is exactly that API (docs/SECURITY.md RI-01…RI-05, DR-01).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { getAuth, jwtOidcPlugin } from '@jwt-oidc/apollo';
import { protectedResourceMetadata } from '@jwt-oidc/express';
import express from 'express';
import { decodeJwt } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, startProvider, throughLoginPages, type TestProvider } from '../support/provider.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';
const SCOPE = 'mcp:tools';

let provider: TestProvider;
let api: { server: Server; apollo: ApolloServer; origin: string; resource: string };

/** An MCP-style API: one GraphQL endpoint at /mcp, its metadata at the RFC 9728 §3.1 well-known path. */
async function startApi(issuer: string): Promise<typeof api> {
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${origin}/mcp`;
  const metadata = protectedResourceMetadata({ resource, authorizationServers: [issuer], scopesSupported: [SCOPE], resourceName: 'Tools' });
  app.use(metadata);
  const apollo = new ApolloServer<object>({
    typeDefs: 'type Query { tools: [String!]!, caller: String! }',
    resolvers: { Query: { tools: () => ['search', 'fetch'], caller: (_p: unknown, _a: unknown, ctx: object) => getAuth(ctx)!.clientId } },
    plugins: [jwtOidcPlugin({ issuer, audience: resource, allowInsecureRequests: true, requireAuth: true, resourceMetadataUrl: metadata.url })],
  });
  await apollo.start();
  app.use('/mcp', express.json(), expressMiddleware(apollo, { context: async () => ({}) }));
  return { server, apollo, origin, resource };
}

beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open' });
  api = await startApi(provider.issuer);
  // The API is a registered resource (RFC 8707): tokens for it carry its scopes only.
  await provider.provider!.resources.create({ id: api.resource, scopes: [SCOPE] });
}, 120_000);

afterAll(async () => {
  await api?.apollo.stop();
  await new Promise((r) => (api?.server ? api.server.close(r) : r(undefined)));
  await provider?.close();
});

const callApi = (token?: string) =>
  fetch(api.resource, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query: '{ tools caller }' }) });

/** Steps 1–3: from the API's 401 to the authorization server's RFC 8414 metadata. */
async function discoverFromApi(): Promise<{ issuer: string; resource: string; asMetadata: Record<string, unknown> }> {
  const refused = await callApi();
  expect(refused.status).toBe(401);
  const challenge = refused.headers.get('www-authenticate') ?? '';
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  expect(metadataUrl, challenge).toBe(`${api.origin}/.well-known/oauth-protected-resource/mcp`);

  const prm = (await (await fetch(metadataUrl!)).json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
  // RFC 9728 §3.3: the document speaks for the resource that was called.
  expect(prm.resource).toBe(api.resource);
  expect(prm.scopes_supported).toEqual([SCOPE]);
  const issuer = prm.authorization_servers[0]!;

  // RFC 8414 §3: the well-known URI inserted before the issuer's path.
  const issuerUrl = new URL(issuer);
  const asRes = await fetch(`${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerUrl.pathname.replace(/\/$/, '')}`);
  expect(asRes.status).toBe(200);
  const asMetadata = (await asRes.json()) as Record<string, unknown>;
  expect(asMetadata.issuer).toBe(issuer);
  expect(asMetadata.code_challenge_methods_supported).toContain('S256');
  return { issuer, resource: prm.resource, asMetadata };
}

/** Steps 5–6: the code flow with PKCE and `resource`, then the API with the token. */
async function codeFlowAndCall(config: oc.Configuration, resource: string): Promise<string> {
  const user = await provider.createUser({ givenName: 'Grace' });
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: SCOPE, resource, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username, consent: 'allow' });
  const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }, { resource });
  const claims = decodeJwt(tokens.access_token);
  // RFC 8707 §2: the token is for that one API, exactly, and carries its scope only.
  expect(claims.aud).toBe(api.resource);
  expect(claims.scope).toBe(SCOPE);
  expect(claims.sub).toBe(user.id);

  const ok = await callApi(tokens.access_token);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ data: { tools: ['search', 'fetch'], caller: config.clientMetadata().client_id } });
  return tokens.access_token;
}

describe('the MCP authorization chain', () => {
  it('401 → protected-resource metadata → RFC 8414 → /register (open) → code + PKCE with resource → the API', async () => {
    const { issuer, resource, asMetadata } = await discoverFromApi();
    expect(asMetadata.registration_endpoint).toBe(`${issuer}/register`);
    const config = await oc.dynamicClientRegistration(
      new URL(issuer),
      { client_name: 'MCP client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
      oc.None(),
      { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] },
    );
    expect(config.clientMetadata().client_secret).toBeUndefined();
    await codeFlowAndCall(config, resource);
  });

  it('a token for another audience (the provider\'s own) is refused by the API', async () => {
    const config = await oc.dynamicClientRegistration(new URL(provider.issuer), { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, oc.None(), { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] });
    const user = await provider.createUser({});
    const verifier = oc.randomPKCECodeVerifier();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username, consent: 'allow' });
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 's' });
    expect(decodeJwt(tokens.access_token).aud).toBe(provider.issuer);
    const refused = await callApi(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});
