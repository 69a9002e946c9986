/**
 * A certified relying party (openid-client) authenticating with `ClientSecretJwt` (OIDC Core §9:
 * an assertion MACed with its secret, RFC 7523 §2.2) in a code flow against the provider, then
 * introspecting and revoking with the same method; with another secret it is refused
 * (docs/SECURITY.md CA-11).
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;

beforeAll(async () => {
  provider = await startProvider();
}, 120_000);
afterAll(async () => {
  await provider?.close();
});

async function codeFlow(secretOf: (issued: string) => string) {
  const p = provider;
  const user = await p.createUser();
  const rp = await p.createClient({ redirectUris: ['http://127.0.0.1:8123/callback'], tokenEndpointAuthMethod: 'client_secret_jwt' });
  expect(rp.clientSecret).toBeTruthy();
  const config = await oc.discovery(new URL(p.issuer), rp.clientId, { token_endpoint_auth_method: 'client_secret_jwt' }, oc.ClientSecretJwt(secretOf(rp.clientSecret!)), { execute: [oc.allowInsecureRequests] });
  expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain('client_secret_jwt');
  expect(config.serverMetadata().token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['HS256', 'HS384', 'HS512']));
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const { location } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile', state, nonce, challenge: await oc.calculatePKCECodeChallenge(verifier) });
  return { user, rp, config, run: () => oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }) };
}

describe('openid-client with ClientSecretJwt', () => {
  it('CA-11 completes a code flow, introspects and revokes with assertions MACed with its secret', async () => {
    const { user, rp, config, run } = await codeFlow((s) => s);
    const tokens = await run();
    expect(tokens.claims()).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId });
    expect((await oc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await oc.tokenRevocation(config, tokens.access_token);
    expect((await oc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  it('CA-11 with another secret: invalid_client at the token endpoint', async () => {
    const { run } = await codeFlow((s) => `${s}x`);
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oc.WWWAuthenticateChallengeError);
    const response = (error as oc.WWWAuthenticateChallengeError).response;
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  });
});
