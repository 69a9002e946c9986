/**
 * A certified relying party (openid-client) authenticating with `PrivateKeyJwt` (RFC 7523 §2.2)
 * in a code flow against the provider: its keys registered inline, then published at a jwks_uri
 * on a loopback server (allowed by JWT_OIDC_JWKS_URI_ALLOW_LOOPBACK; without it, refused — and
 * the server is never asked: docs/SECURITY.md CA-06).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let strict: TestProvider;
let jwksServer: Server;
let jwksHits = 0;
let key: oc.PrivateKey;
let publicJwk: Record<string, unknown>;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
  key = { key: pair.privateKey, kid: 'rp-key-1' };
  jwksServer = createServer((_req, res) => {
    jwksHits++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  [provider, strict] = await Promise.all([startProvider({ JWT_OIDC_JWKS_URI_ALLOW_LOOPBACK: 'true' }), startProvider()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([provider?.close(), strict?.close()]);
  await new Promise((r) => jwksServer?.close(r));
});

const jwksUri = () => `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;

async function codeFlow(p: TestProvider, registration: { jwks?: { keys: Record<string, unknown>[] }; jwksUri?: string }) {
  const user = await p.createUser();
  const rp = await p.createClient({ redirectUris: ['http://127.0.0.1:8123/callback'], tokenEndpointAuthMethod: 'private_key_jwt', ...registration });
  expect(rp.clientSecret).toBeUndefined();
  const config = await oc.discovery(new URL(p.issuer), rp.clientId, { token_endpoint_auth_method: 'private_key_jwt' }, oc.PrivateKeyJwt(key), { execute: [oc.allowInsecureRequests] });
  expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const { location } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile', state, nonce, challenge: await oc.calculatePKCECodeChallenge(verifier) });
  return { user, rp, run: () => oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }) };
}

describe('openid-client with PrivateKeyJwt', () => {
  it('completes a code flow with its keys registered inline', async () => {
    const { user, rp, run } = await codeFlow(provider, { jwks: { keys: [publicJwk] } });
    const tokens = await run();
    expect(tokens.claims()).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId });
  });

  it('completes a code flow with its keys at a loopback jwks_uri (JWT_OIDC_JWKS_URI_ALLOW_LOOPBACK=true)', async () => {
    const before = jwksHits;
    const { user, rp, run } = await codeFlow(provider, { jwksUri: jwksUri() });
    const tokens = await run();
    expect(tokens.claims()).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId });
    expect(jwksHits).toBe(before + 1);
  });

  it('CA-06 is refused invalid_client without the setting: the loopback jwks_uri is never fetched', async () => {
    const before = jwksHits;
    const { run } = await codeFlow(strict, { jwksUri: jwksUri() });
    const error = await run().catch((e: unknown) => e);
    // A 401 with its challenge (RFC 6749 §5.2), which openid-client reports as such.
    expect(error).toBeInstanceOf(oc.WWWAuthenticateChallengeError);
    const response = (error as oc.WWWAuthenticateChallengeError).response;
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    expect(jwksHits).toBe(before);
  });
});
