/**
 * openid-client as a DPoP client (RFC 9449): its DPoP handle signs the proofs of a code flow
 * through the real login pages, the token comes back bound (`token_type` DPoP, `cnf.jkt` its
 * key's thumbprint), and /userinfo answers it with `fetchUserInfo` and the handle — and refuses it
 * without a proof, with another key's proof and with a replayed one. With nonces required
 * (JWT_OIDC_DPOP_NONCE=required) openid-client meets `use_dpop_nonce`, retries with the nonce
 * and gets through; the nonce it learnt serves at /userinfo too (docs/SECURITY.md DP-19).
 */
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, startProvider, throughLoginPages, type TestProvider } from '../support/provider.js';

let plain: TestProvider;
let noncing: TestProvider;
beforeAll(async () => {
  [plain, noncing] = await Promise.all([startProvider(), startProvider({ JWT_OIDC_DPOP_NONCE: 'required' })]);
}, 120_000);
afterAll(() => Promise.all([plain?.close(), noncing?.close()]));

/** What openid-client sent and got: each request's URL, DPoP header, status and error. */
interface Exchange {
  url: string;
  dpop: string | null;
  status: number;
  error?: string;
}

async function signedIn(provider: TestProvider, isPublic: boolean) {
  const user = await provider.createUser({ givenName: 'Alice' });
  const rp = await provider.createClient({ firstParty: true, public: isPublic, redirectUris: ['http://127.0.0.1:8123/callback'] });
  const config = await oc.discovery(new URL(provider.issuer), rp.clientId, {}, isPublic ? oc.None() : oc.ClientSecretBasic(rp.clientSecret!), { execute: [oc.allowInsecureRequests] });
  const seen: Exchange[] = [];
  config[oc.customFetch] = async (url, options) => {
    const res = await fetch(url, options as RequestInit);
    const headers = new Headers(options.headers as HeadersInit);
    const error = res.status >= 400 ? ((await res.clone().json().catch(() => ({}))) as { error?: string }).error ?? res.headers.get('www-authenticate') ?? undefined : undefined;
    seen.push({ url, dpop: headers.get('dpop'), status: res.status, error });
    return res;
  };
  const keyPair = await oc.randomDPoPKeyPair('ES256');
  const dpop = oc.getDPoPHandle(config, keyPair);
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: 'openid profile offline_access', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, prompt: 'consent' });
  const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
  const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, { DPoP: dpop });
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  return { user, rp, config, dpop, tokens, jkt, seen };
}

/** The error of a refusal by openid-client: the server's error code, from the body or the challenge. */
async function refusal(p: Promise<unknown>): Promise<{ status?: number; error?: string; challenge?: string }> {
  const e = (await p.then(() => undefined, (x: unknown) => x)) as { status?: number; error?: string; cause?: unknown; response?: Response } | undefined;
  expect(e, 'expected a refusal').toBeDefined();
  const response = e!.response ?? (e!.cause instanceof Response ? e!.cause : undefined);
  return { status: e!.status ?? response?.status, error: e!.error, challenge: response?.headers.get('www-authenticate') ?? undefined };
}

describe('openid-client with DPoP', () => {
  for (const isPublic of [true, false]) {
    it(`DP-19 a ${isPublic ? 'public' : 'confidential'} client's code flow gets a bound token that fetchUserInfo uses with its handle; refreshed with the handle it stays bound`, async () => {
      const { user, config, dpop, tokens, jkt } = await signedIn(plain, isPublic);
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
      const info = await oc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: dpop });
      expect(info).toMatchObject({ sub: user.id, given_name: 'Alice' });
      const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
      expect((await oc.fetchUserInfo(config, refreshed.access_token, user.id, { DPoP: dpop })).sub).toBe(user.id);
    });
  }

  it('DP-19 /userinfo refuses the bound token without a proof (as Bearer), with another key\'s proof, and with a replayed proof', async () => {
    const { user, config, dpop, tokens, seen } = await signedIn(plain, true);
    // No DPoP handle: openid-client sends the token as a bearer token.
    const bearer = await refusal(oc.fetchUserInfo(config, tokens.access_token, user.id));
    expect(bearer.status).toBe(401);
    expect(bearer.challenge).toMatch(/^DPoP .*error="invalid_token"/);
    // Another key's handle: its proof does not match cnf.jkt.
    const stranger = oc.getDPoPHandle(config, await oc.randomDPoPKeyPair('ES256'));
    const otherKey = await refusal(oc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: stranger }));
    expect(otherKey.status).toBe(401);
    expect(otherKey.challenge).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    // A proof openid-client sent and the provider accepted, sent once more.
    expect((await oc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: dpop })).sub).toBe(user.id);
    const accepted = seen.filter((s) => s.url.endsWith('/userinfo') && s.status === 200).at(-1);
    expect(accepted?.dpop, JSON.stringify(seen)).toBeTruthy();
    const spent = accepted!.dpop!;
    const replay = await fetch(`${plain.issuer}/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: spent } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
  });

  it('DP-19 with nonces required, openid-client retries on use_dpop_nonce at /token and, with the nonce it learnt, gets through at /userinfo', async () => {
    const { user, config, dpop, tokens, seen, jkt } = await signedIn(noncing, true);
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    const token = seen.filter((s) => s.url.endsWith('/token'));
    expect(token.map((s) => [s.status, s.error])).toEqual([[400, 'use_dpop_nonce'], [200, undefined]]);
    expect(decodeJwt(token[0]!.dpop!).nonce).toBeUndefined();
    expect(decodeJwt(token[1]!.dpop!).nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const info = await oc.fetchUserInfo(config, tokens.access_token, user.id, { DPoP: dpop });
    expect(info.sub).toBe(user.id);
    // The nonce learnt at /token is the provider's, for every endpoint: userinfo needs no retry.
    expect(seen.filter((s) => s.url.endsWith('/userinfo')).map((s) => s.status)).toEqual([200]);
  });
});
