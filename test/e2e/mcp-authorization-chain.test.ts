/**
 * The chain an MCP client walks (the MCP authorization specification, built on RFC 9728, RFC 8414,
 * the client ID metadata document draft, RFC 7591, RFC 8707, RFC 7636), end to end over real HTTP
 * on loopback, against the service as installed (`jwt-oidc serve` in its own process), with a
 * certified relying party (openid-client) as the client: the API (Apollo Server 5 with
 * @jwt-oidc/apollo) refuses the anonymous call with a challenge naming `resource_metadata`; the
 * client reads the protected-resource metadata, then the authorization server's RFC 8414
 * metadata; it identifies itself by a client ID metadata document it serves over https on
 * loopback (the service trusts the test CA through NODE_EXTRA_CA_CERTS, as a deployment would) —
 * and, a second time, registers at `/register` under the `open` policy; it runs the code flow with
 * PKCE and `resource`, and calls the API with a token whose `aud` is exactly that API
 * (docs/SECURITY.md RI-01…RI-05, DR-01, CM-01).
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { getAuth, jwtOidcPlugin } from '@jwt-oidc/apollo';
import { protectedResourceMetadata } from '@jwt-oidc/express';
import express from 'express';
import { decodeJwt } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForHttp } from '../support/cli.js';
import { testDatabase } from '../support/database.js';
import type { ScratchDatabase } from '../../src/db/scratch.js';
import { DocumentServer } from '../support/https-documents.js';
import { CookieJar, throughLoginPages } from '../support/provider.js';
import { freePort } from '../../src/util/free-port.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';
const SCOPE = 'mcp:tools';

const PASSWORD = 'a password of grace';

let issuer: string;
let env: Record<string, string>;
let service: ChildProcess | undefined;
let scratch: ScratchDatabase | undefined;
let dir: string | undefined;
let documents: DocumentServer;
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

/** `jwt-oidc <args>` against the service's database; fails the test on a non-zero exit. */
async function cli(args: string[], input?: string): Promise<string> {
  const r = await runCli(args, { env, input });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  documents = new DocumentServer();
  await documents.start();
  dir = await mkdtemp(join(tmpdir(), 'jwt-oidc-mcp-'));
  const caFile = join(dir, 'test-ca.pem');
  await writeFile(caFile, documents.ca);
  scratch = await testDatabase();
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: scratch.url,
    PORT: String(port),
    JWT_OIDC_ISSUER: issuer,
    JWT_OIDC_DATA_DIR: dir,
    JWT_OIDC_KEY_ENCRYPTION_SECRET: 'm'.repeat(40),
    JWT_OIDC_REGISTRATION_POLICY: 'open',
    // The client's document is on loopback here; in production it is on the client's own host.
    JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: 'true',
    NODE_EXTRA_CA_CERTS: caFile,
  };
  await cli(['migrate']);
  service = spawnCli(['serve'], env);
  await waitForHttp(`${issuer}/readyz`, service, 60_000);
  api = await startApi(issuer);
  // The API is a registered resource (RFC 8707): tokens for it carry its scopes only.
  await cli(['resources', 'create', '--id', api.resource, '--scope', SCOPE]);
  await cli(['users', 'create', '--username', 'grace', '--password-stdin'], `${PASSWORD}\n`);
}, 180_000);

afterAll(async () => {
  await api?.apollo.stop();
  await new Promise((r) => (api?.server ? api.server.close(r) : r(undefined)));
  if (service && service.exitCode === null && service.signalCode === null) {
    const exited = once(service, 'exit');
    service.kill('SIGTERM');
    await exited;
  }
  await documents?.close();
  await scratch?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
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
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: SCOPE, resource, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const location = await throughLoginPages(new CookieJar(), url.toString(), { username: 'grace', password: PASSWORD, consent: 'allow' });
  const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }, { resource });
  const claims = decodeJwt(tokens.access_token);
  // RFC 8707 §2: the token is for that one API, exactly, and carries its scope only.
  expect(claims.aud).toBe(api.resource);
  expect(claims.scope).toBe(SCOPE);
  expect(typeof claims.sub).toBe('string');

  const ok = await callApi(tokens.access_token);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ data: { tools: ['search', 'fetch'], caller: config.clientMetadata().client_id } });
  return tokens.access_token;
}

describe('the MCP authorization chain', () => {
  it('401 → protected-resource metadata → RFC 8414 → a client ID metadata document over https → code + PKCE with resource → the API', async () => {
    const { issuer: as, resource, asMetadata } = await discoverFromApi();
    expect(asMetadata.client_id_metadata_document_supported).toBe(true);
    const clientId = documents.url('/oauth/client-metadata.json');
    documents.serve('/oauth/client-metadata.json', { client_id: clientId, client_name: 'MCP client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }, { 'cache-control': 'max-age=300' });
    const config = await oc.discovery(new URL(as), clientId, { token_endpoint_auth_method: 'none' }, oc.None(), { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] });
    await codeFlowAndCall(config, resource);
    // The service fetched the document (through the CA it trusts by NODE_EXTRA_CA_CERTS), and no more than the cache lets it.
    expect(documents.hits.get('/oauth/client-metadata.json')).toBe(1);
  });

  it('401 → protected-resource metadata → RFC 8414 → /register (open) → code + PKCE with resource → the API', async () => {
    const { issuer: as, resource, asMetadata } = await discoverFromApi();
    expect(asMetadata.registration_endpoint).toBe(`${as}/register`);
    const config = await oc.dynamicClientRegistration(
      new URL(as),
      { client_name: 'MCP client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
      oc.None(),
      { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] },
    );
    expect(config.clientMetadata().client_secret).toBeUndefined();
    await codeFlowAndCall(config, resource);
  });

  it('a token for another audience (the provider\'s own) is refused by the API', async () => {
    const config = await oc.dynamicClientRegistration(new URL(issuer), { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, oc.None(), { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] });
    const verifier = oc.randomPKCECodeVerifier();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: 'grace', password: PASSWORD, consent: 'allow' });
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 's' });
    expect(decodeJwt(tokens.access_token).aud).toBe(issuer);
    const refused = await callApi(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});
