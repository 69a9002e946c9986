/**
 * openid-client as the relying party of RFC 8414 and RFC 9126: it discovers the provider from
 * its authorization server metadata (`algorithm: 'oauth2'`), pushes the authorization request
 * (`buildAuthorizationUrlWithPAR`), sends the browser with only client_id and request_uri through
 * the real login pages, and redeems the code — for a confidential client and for a public one
 * with PKCE. The provider requires PAR of every client (JWT_OIDC_REQUIRE_PAR), so nothing here
 * can pass through a plain authorization request.
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, startProvider, throughLoginPages, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let user: { id: string; username: string; password: string };
beforeAll(async () => {
  provider = await startProvider({ JWT_OIDC_REQUIRE_PAR: 'true' });
  user = await provider.createUser({ givenName: 'Alice' });
});
afterAll(() => provider?.close());

const discover = (clientId: string, auth: oc.ClientAuth) => oc.discovery(new URL(provider.issuer), clientId, {}, auth, { algorithm: 'oauth2', execute: [oc.allowInsecureRequests] });

describe('openid-client with RFC 8414 metadata and pushed authorization requests', () => {
  it('discovers the provider from /.well-known/oauth-authorization-server: the PAR endpoint, required', async () => {
    const rp = await provider.createClient({ firstParty: true });
    const config = await discover(rp.clientId, oc.ClientSecretBasic(rp.clientSecret!));
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(provider.issuer);
    expect(meta.pushed_authorization_request_endpoint).toBe(`${provider.issuer}/par`);
    expect(meta.require_pushed_authorization_requests).toBe(true);
    expect(meta.token_endpoint).toBe(`${provider.issuer}/token`);
  });

  for (const kind of ['confidential (client_secret_basic)', 'public (none, PKCE)'] as const) {
    it(`a ${kind} client pushes, signs the user in with only the request_uri in the browser, and redeems the code`, async () => {
      const isPublic = kind.startsWith('public');
      const rp = await provider.createClient({ firstParty: true, public: isPublic, redirectUris: ['http://127.0.0.1:8123/callback'] });
      const config = await discover(rp.clientId, isPublic ? oc.None() : oc.ClientSecretBasic(rp.clientSecret!));
      const verifier = oc.randomPKCECodeVerifier();
      const state = oc.randomState();
      const nonce = oc.randomNonce();
      const url = await oc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: rp.redirectUri,
        scope: 'openid profile',
        code_challenge: await oc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      // The browser sees the client and the pushed request's handle, nothing else (RFC 9126 §4).
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

      const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
      expect(location.searchParams.get('iss')).toBe(provider.issuer);
      const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      expect(tokens.claims()).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId, nonce });
      expect(tokens.scope).toBe('openid profile');

      // The same request_uri a second time: refused (single use).
      const again = await fetch(url, { redirect: 'manual' });
      expect(again.status).toBe(400);
    });
  }

  it('a plain authorization request (no push) is refused with invalid_request, as the metadata says', async () => {
    const rp = await provider.createClient({ firstParty: true, public: true, redirectUris: ['http://127.0.0.1:8123/callback'] });
    const config = await discover(rp.clientId, oc.None());
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: 'openid', code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'plain' });
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('plain');
  });
});
