/**
 * A certified relying party (openid-client) against the provider over real HTTP: discovery,
 * code + PKCE through the real login form, the token exchange with non-repudiation checks (ID
 * token signature verified against the JWKS), userinfo, MAX_REFRESH refreshes and then
 * invalid_grant, and client_credentials; for ES256, ES512, RS256 and EdDSA.
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startProvider, type TestProvider } from '../support/provider.js';

const MAX_REFRESH = 3;

describe.each(['ES256', 'ES512', 'RS256', 'EdDSA'])('openid-client against the provider signing with %s', (alg) => {
  let provider: TestProvider;
  let config: oc.Configuration;
  let user: { id: string; username: string; password: string };
  let rp: { clientId: string; clientSecret?: string; redirectUri: string };

  beforeAll(async () => {
    provider = await startProvider({ JWT_OIDC_SIGNATURE_ALG: alg, JWT_OIDC_MAX_REFRESH: String(MAX_REFRESH), JWT_OIDC_API_SCOPES: 'api:read' });
    user = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell', emailVerified: true });
    rp = await provider.createClient({ redirectUris: ['http://127.0.0.1:8123/callback'], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    config = await oc.discovery(new URL(provider.issuer), rp.clientId, { id_token_signed_response_alg: alg }, oc.ClientSecretBasic(rp.clientSecret!), { execute: [oc.allowInsecureRequests] });
    // Verify the ID token's signature from the token endpoint too: openid-client skips it unless
    // asked (OIDC Core §3.1.3.7 step 6 lets TLS stand in for it).
    oc.enableNonRepudiationChecks(config);
  });
  afterAll(() => provider?.close());

  it('discovers the provider: exact issuer, endpoints, S256, the signing algorithms', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(provider.issuer);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.id_token_signing_alg_values_supported).toContain(alg);
    expect(meta.id_token_signing_alg_values_supported).toContain('RS256');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('logs in with code + PKCE through the login form, validates the ID token, reads userinfo, refreshes MAX_REFRESH times', async () => {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid profile email offline_access', // refreshing: offline_access (OIDC Core §11)
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    // The browser part: the same parameters through the real pages (a cookie jar, the forms).
    const { location } = await login(provider, {
      clientId: rp.clientId,
      redirectUri: rp.redirectUri,
      username: user.username,
      scope: url.searchParams.get('scope')!,
      state,
      nonce,
      challenge: url.searchParams.get('code_challenge'),
    });
    expect(location.searchParams.get('iss')).toBe(provider.issuer);

    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId, azp: rp.clientId, nonce });
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.at_hash).toBeDefined();
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg });
    const atHeader = JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString());
    expect(atHeader).toMatchObject({ typ: 'at+jwt', alg });

    const info = await oc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, preferred_username: user.username, given_name: 'Alice', family_name: 'Liddell', name: 'Alice Liddell', email: `${user.username}@example.com`, email_verified: true });

    let refresh = tokens.refresh_token!;
    for (let i = 1; i <= MAX_REFRESH; i++) {
      const next = await oc.refreshTokenGrant(config, refresh);
      const c = next.claims()!;
      expect(c).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId, auth_time: claims.auth_time });
      expect(c.nonce).toBeUndefined();
      expect(next.refresh_token).not.toBe(refresh);
      refresh = next.refresh_token!;
    }
    const exhausted = await oc.refreshTokenGrant(config, refresh).then(() => undefined, (e: unknown) => e);
    expect(exhausted).toBeInstanceOf(oc.ResponseBodyError);
    expect((exhausted as oc.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('issues client_credentials tokens: no ID token, no refresh token', async () => {
    const tokens = await oc.clientCredentialsGrant(config, { scope: 'api:read' });
    expect(tokens.scope).toBe('api:read');
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
    const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ iss: provider.issuer, sub: rp.clientId, client_id: rp.clientId, scope: 'api:read', aud: provider.issuer });
  });
});
