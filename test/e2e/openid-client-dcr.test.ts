/**
 * openid-client as a relying party that registers itself (RFC 7591 `dynamicClientRegistration`)
 * and then signs a user in with the client it got, through the real login pages: a public client
 * with PKCE under JWT_OIDC_REGISTRATION_POLICY=open, and a confidential one under
 * `initial-token` with a token an administrator made over GraphQL. The registration access
 * token it got then reads and deletes the client (RFC 7592).
 */
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUserTokens, CookieJar, gql, startProvider, throughLoginPages, type TestProvider } from '../support/provider.js';

let open: TestProvider;
let gated: TestProvider;
beforeAll(async () => {
  [open, gated] = await Promise.all([startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open' }), startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'initial-token' })]);
});
afterAll(() => Promise.all([open?.close(), gated?.close()]));

const REDIRECT = 'https://rp.example/callback';

/** A code flow of `config` for a new user of `p`: the ID token's claims. */
async function signIn(p: TestProvider, config: oc.Configuration) {
  const user = await p.createUser({ givenName: 'Alice' });
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
  const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
  const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  expect(tokens.claims()).toMatchObject({ iss: p.issuer, sub: user.id, aud: config.clientMetadata().client_id, nonce });
  return tokens;
}

describe('openid-client registers itself, then signs a user in', () => {
  it('open: a public client (none) with PKCE; its registration access token reads and deletes it', async () => {
    const config = await oc.dynamicClientRegistration(new URL(open.issuer), { client_name: 'Self-registered SPA', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, oc.None(), { execute: [oc.allowInsecureRequests] });
    const meta = config.clientMetadata();
    expect(meta.client_secret).toBeUndefined();
    expect(meta.token_endpoint_auth_method).toBe('none');
    await signIn(open, config);

    const uri = meta.registration_client_uri as string;
    const auth = { authorization: `Bearer ${meta.registration_access_token as string}` };
    const read = await fetch(uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_name: string }).client_name).toBe('Self-registered SPA');
    expect((await fetch(uri, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect(await open.provider!.clients.get(meta.client_id)).toBeUndefined();
  });

  it('initial-token: a confidential client registered with an administrator\'s initial access token', async () => {
    const { tokens } = await adminUserTokens(gated);
    const made = await gql(gated, 'mutation { createInitialAccessToken(input: { maxUses: 1 }) { token } }', undefined, tokens.access_token);
    const initialAccessToken = made.body.data.createInitialAccessToken.token as string;
    const register = () => oc.dynamicClientRegistration(new URL(gated.issuer), { client_name: 'Self-registered web app', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_post' }, undefined, { initialAccessToken, execute: [oc.allowInsecureRequests] });
    const config = await register();
    expect(config.clientMetadata().client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const got = await signIn(gated, config);
    expect(got.access_token).toBeTruthy();
    // Its one use is spent.
    await expect(register()).rejects.toThrow();
  });
});
