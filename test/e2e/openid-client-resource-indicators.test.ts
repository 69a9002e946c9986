/**
 * Resource indicators (RFC 8707) with a certified relying party (openid-client) over real HTTP:
 * the code flow with `resource` yields an access token whose `aud` is exactly the resource and
 * whose scope is narrowed to the resource's; a refresh gets a token for the grant's other
 * resource; an unknown resource is invalid_target; and @jwt-oidc/resource configured with
 * audience = resource A accepts A's token and refuses B's (docs/SECURITY.md RI-01…RI-04).
 */
import * as oc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import { createAccessTokenVerifier, BearerError } from '@jwt-oidc/resource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, CookieJar, throughLoginPages, startProvider, type TestProvider } from '../support/provider.js';

const A = 'https://api-a.example/';
const B = 'urn:example:api-b';
const UNREGISTERED = 'https://api-c.example/';

describe('openid-client with resource indicators (RFC 8707)', () => {
  let provider: TestProvider;
  let config: oc.Configuration;
  let user: { id: string; username: string; password: string };
  let rp: { clientId: string; clientSecret?: string; redirectUri: string };

  beforeAll(async () => {
    provider = await startProvider({ JWT_OIDC_SIGNATURE_ALG: 'ES256', JWT_OIDC_API_SCOPES: 'api:read' });
    await provider.provider!.resources.create({ id: A, scopes: ['a:read', 'a:write'] });
    await provider.provider!.resources.create({ id: B, scopes: ['b:read'], accessTokenLifetime: 120, alg: 'RS256' });
    user = await provider.createUser({ givenName: 'Alice', familyName: 'Liddell' });
    rp = await provider.createClient({ redirectUris: ['http://127.0.0.1:8123/callback'], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    config = await oc.discovery(new URL(provider.issuer), rp.clientId, {}, oc.ClientSecretBasic(rp.clientSecret!), { execute: [oc.allowInsecureRequests] });
  });
  afterAll(() => provider?.close());

  /** The code flow through the real pages with the `resource` values given; returns the callback URL and the PKCE verifier. */
  async function authorize(resources: string[], scope: string) {
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const url = new URL(authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope, state, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }));
    for (const r of resources) url.searchParams.append('resource', r);
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username, password: user.password, consent: 'allow' });
    return { location, verifier, state };
  }

  it('code flow with resource: aud is exactly the resource, the scope is narrowed to its scopes, and the ID token is as ever', async () => {
    const { location, verifier, state } = await authorize([A], 'openid profile a:read b:read api:read');
    expect(location.searchParams.get('code')).toBeTruthy();
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
    const at = decodeJwt(tokens.access_token);
    expect(at.aud).toBe(A);
    expect(at.scope).toBe('a:read');
    expect(tokens.scope).toBe('a:read');
    expect(tokens.claims()).toMatchObject({ iss: provider.issuer, sub: user.id, aud: rp.clientId });
    // A resource's token is not for the provider's own userinfo (RFC 8707 §2: audience-restricted).
    const info = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
    // Nor is it one of the scopes b:read (its resource was not requested) or api:read (no resource lists it) that it carries.
    expect(String(at.scope).split(' ')).not.toContain('b:read');
  });

  it('the provider\'s own token (resource = the issuer) keeps openid/profile for userinfo and leaves the resource\'s scopes out', async () => {
    const { location, verifier, state } = await authorize([A], 'openid profile offline_access a:read api:read');
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }, { resource: provider.issuer });
    const at = decodeJwt(tokens.access_token);
    expect(at.aud).toBe(provider.issuer);
    expect(String(at.scope).split(' ').sort()).toEqual(['api:read', 'offline_access', 'openid', 'profile']);
    const info = await oc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, given_name: 'Alice' });
    // The refresh token still gives A's token, the grant's only resource, without naming it.
    const next = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(decodeJwt(next.access_token)).toMatchObject({ aud: A, scope: 'a:read' });
  });

  it('two resources authorized: /token must name one; a refresh gets the second one\'s token, with its lifetime and alg', async () => {
    const { location, verifier, state } = await authorize([A, B], 'openid offline_access a:read b:read');
    // Without resource, with two authorized: ambiguous (the code is not spent by the refusal).
    const ambiguous = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }).then(() => undefined, (e: unknown) => e);
    expect((ambiguous as oc.ResponseBodyError).error).toBe('invalid_target');
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }, { resource: A });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: A, scope: 'a:read' });
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ES256');

    const forB = await oc.refreshTokenGrant(config, tokens.refresh_token!, { resource: B });
    const b = decodeJwt(forB.access_token);
    expect(b).toMatchObject({ aud: B, scope: 'b:read' });
    expect(b.exp! - b.iat!).toBe(120);
    expect(forB.expires_in).toBe(120);
    expect(decodeProtectedHeader(forB.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });

    // Introspection shows the resource as the audience.
    const intro = await fetch(`${provider.issuer}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ token: forB.access_token }) });
    expect(await intro.json()).toMatchObject({ active: true, aud: B, scope: 'b:read', client_id: rp.clientId, sub: user.id });
  });

  it('RI-01: an unknown resource is invalid_target at /authorize (redirected with state and iss) and at /token', async () => {
    const url = new URL(authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 'st', code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }));
    url.searchParams.append('resource', A);
    url.searchParams.append('resource', UNREGISTERED);
    const res = await fetch(url, { redirect: 'manual' });
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(rp.redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_target');
    expect(back.searchParams.get('state')).toBe('st');
    expect(back.searchParams.get('iss')).toBe(provider.issuer);
    expect(back.searchParams.get('code')).toBeNull();

    const cc = await oc.clientCredentialsGrant(config, { scope: 'api:read', resource: UNREGISTERED }).then(() => undefined, (e: unknown) => e);
    expect((cc as oc.ResponseBodyError).error).toBe('invalid_target');
  });

  it('client_credentials with resource: aud is the resource, only its scopes may be asked for', async () => {
    const tokens = await oc.clientCredentialsGrant(config, { scope: 'a:write', resource: A });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: A, scope: 'a:write', sub: rp.clientId });
    const other = await oc.clientCredentialsGrant(config, { scope: 'b:read', resource: A }).then(() => undefined, (e: unknown) => e);
    expect((other as oc.ResponseBodyError).error).toBe('invalid_scope');
    // Without resource, as ever.
    const plain = await oc.clientCredentialsGrant(config, { scope: 'api:read' });
    expect(decodeJwt(plain.access_token)).toMatchObject({ aud: provider.issuer, scope: 'api:read' });
  });

  it('RI-04: @jwt-oidc/resource with audience = resource A accepts A\'s token and refuses B\'s (and the provider\'s own)', async () => {
    const { location, verifier, state } = await authorize([A, B], 'offline_access a:read b:read');
    const forA = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }, { resource: A });
    const forB = await oc.refreshTokenGrant(config, forA.refresh_token!, { resource: B });
    const own = await oc.clientCredentialsGrant(config, { scope: 'api:read' });
    const verifyAtA = createAccessTokenVerifier({ issuer: provider.issuer, audience: A, keys: createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)) });
    const ok = await verifyAtA(forA.access_token);
    expect(ok.scopes).toEqual(['a:read']);
    for (const token of [forB.access_token, own.access_token]) {
      const refused = await verifyAtA(token).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(BearerError);
      expect((refused as BearerError).code).toBe('invalid_token');
      expect((refused as Error).message).toMatch(/audience/);
    }
  });
});
