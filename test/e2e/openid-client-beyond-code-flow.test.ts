/**
 * openid-client against the provider for everything beyond the code flow: the hybrid flow
 * (`code id_token`), the implicit flow (`id_token`), revocation, introspection, and RP-initiated
 * logout followed by `prompt=none` → login_required.
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse, CookieJar, login, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let user: { id: string; username: string; password: string };
beforeAll(async () => {
  provider = await startProvider();
  user = await provider.createUser({ givenName: 'Hybrid' });
});
afterAll(() => provider?.close());

async function configFor(client: { clientId: string; clientSecret?: string }, metadata: Partial<oc.ClientMetadata> = {}, execute: ((c: oc.Configuration) => void)[] = []) {
  const auth = client.clientSecret ? oc.ClientSecretBasic(client.clientSecret) : oc.None();
  return oc.discovery(new URL(provider.issuer), client.clientId, metadata, auth, { execute: [oc.allowInsecureRequests, ...execute] });
}

describe('openid-client, beyond the code flow', () => {
  it('hybrid flow (code id_token): the ID token from the fragment and the code exchange both validate', async () => {
    const rp = await provider.createClient({ redirectUris: ['https://hybrid.example/cb'], grantTypes: ['authorization_code', 'implicit', 'refresh_token'], responseTypes: ['code id_token'] });
    const config = await configFor(rp, {}, [oc.useCodeIdTokenResponseType, oc.enableNonRepudiationChecks]);
    const nonce = oc.randomNonce();
    const state = oc.randomState();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: 'openid profile offline_access', nonce, state });
    expect(url.searchParams.get('response_type')).toBe('code id_token');
    const { location } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile offline_access', nonce, state, challenge: null, extra: { response_type: 'code id_token' } });
    expect(location.search).toBe(''); // nothing in the query: the fragment carries it all
    const tokens = await oc.authorizationCodeGrant(config, location, { expectedNonce: nonce, expectedState: state });
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: rp.clientId, nonce });
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('implicit flow (id_token): the ID token validates, with the claims of its scope', async () => {
    const rp = await provider.createClient({ public: true, redirectUris: ['https://spa.example/cb'], grantTypes: ['implicit'], responseTypes: ['id_token'] });
    const config = await configFor(rp, {}, [oc.useIdTokenResponseType]);
    const nonce = oc.randomNonce();
    const state = oc.randomState();
    const { location } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid profile', nonce, state, challenge: null, extra: { response_type: 'id_token' } });
    const claims = await oc.implicitAuthentication(config, location, nonce, { expectedState: state });
    expect(claims).toMatchObject({ sub: user.id, aud: rp.clientId, nonce, given_name: 'Hybrid', preferred_username: user.username });
  });

  it('revocation and introspection: a revoked refresh token and its grant\'s access token turn inactive', async () => {
    const rp = await provider.createClient({ redirectUris: ['https://rp.example/cb'] });
    const config = await configFor(rp);
    const { location, verifier } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid offline_access' });
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 'state-123' });
    const live = await oc.tokenIntrospection(config, tokens.access_token);
    expect(live).toMatchObject({ active: true, client_id: rp.clientId, sub: user.id, scope: 'openid offline_access', token_type: 'Bearer' });
    expect((await oc.tokenIntrospection(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' })).active).toBe(true);

    await oc.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(await oc.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    expect(await oc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('RP-initiated logout ends the session: prompt=none afterwards answers login_required', async () => {
    const rp = await provider.createClient({ redirectUris: ['https://rp.example/cb'], postLogoutRedirectUris: ['https://rp.example/bye'], logoutAll: true, firstParty: true });
    const config = await configFor(rp);
    const jar = new CookieJar();
    const { location, verifier } = await login(provider, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, jar });
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 'state-123' });

    const logoutUrl = oc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://rp.example/bye', state: 'bye-state' });
    const res = await browse(jar, logoutUrl.toString());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://rp.example/bye?state=bye-state');

    const again = new URL(oc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: 'openid', prompt: 'none', state: 'after', code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256' }));
    const answer = new URL((await browse(jar, again.toString())).headers.get('location')!);
    expect(answer.searchParams.get('error')).toBe('login_required');
    expect(answer.searchParams.get('state')).toBe('after');
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
