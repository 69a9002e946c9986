/**
 * openid-client as a DPoP client (RFC 9449): its DPoP handle signs the proofs of a code flow
 * through the real login pages, the token comes back bound (`token_type` DPoP, `cnf.jkt` its
 * key's thumbprint), and /userinfo answers it with `fetchUserInfo` and the handle — and refuses it
 * without a proof, with another key's proof and with a replayed one. With nonces required
 * (JWT_OIDC_DPOP_NONCE=required) openid-client meets `use_dpop_nonce`, retries with the nonce
 * and gets through; the nonce it learnt serves at /userinfo too (docs/SECURITY.md DP-19). A token
 * bound at the provider for a registered resource is then taken by that API — Apollo Server with
 * @jwt-oidc/apollo and `dpop` — with openid-client's `fetchProtectedResource` and the same handle,
 * and refused there without the proof, with another key's and with a replayed one (DP-20…DP-30).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { getAuth, jwtOidcPlugin } from '@jwt-oidc/apollo';
import express from 'express';
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

describe('a bound token of the provider at an Apollo API with @jwt-oidc/apollo', () => {
  it('DP-19 openid-client gets a token for the API (resource) bound to its key; the API takes it with the handle\'s proofs, and refuses it without, with another key\'s and with a replayed proof', async () => {
    const app = express();
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const apollo = new ApolloServer<object>({
      typeDefs: 'type Query { jkt: String }',
      resolvers: { Query: { jkt: (_p: unknown, _a: unknown, ctx: object) => ((getAuth(ctx)?.claims.cnf as { jkt?: string } | undefined)?.jkt ?? null) } },
      plugins: [jwtOidcPlugin({ issuer: plain.issuer, audience: api, allowInsecureRequests: true, requireAuth: true, dpop: {}, publicUrl: api })],
    });
    await apollo.start();
    app.use('/graphql', express.json(), expressMiddleware(apollo, { context: async () => ({}) }));
    try {
      await plain.provider!.resources.create({ id: api, scopes: ['api:read'] });
      const user = await plain.createUser({});
      const rp = await plain.createClient({ public: true, redirectUris: ['http://127.0.0.1:8123/callback'] });
      const config = await oc.discovery(new URL(plain.issuer), rp.clientId, {}, oc.None(), { execute: [oc.allowInsecureRequests] });
      const keyPair = await oc.randomDPoPKeyPair('ES256');
      const dpop = oc.getDPoPHandle(config, keyPair);
      const verifier = oc.randomPKCECodeVerifier();
      const url = oc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: 'api:read', resource: api, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
      const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username, consent: 'allow' });
      const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 's' }, { resource: api }, { DPoP: dpop });
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: api, cnf: { jkt } });

      const body = JSON.stringify({ query: '{ jkt }' });
      const call = (handle?: oc.DPoPHandle) => oc.fetchProtectedResource(config, tokens.access_token, new URL(api), 'POST', body, new Headers({ 'content-type': 'application/json' }), handle ? { DPoP: handle } : undefined);
      const ok = await call(dpop);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ data: { jkt } });

      // Without the proof (a bearer request), with another key's proof, and a proof sent twice.
      const bearer = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` }, body });
      expect(bearer.status).toBe(401);
      const stranger = await call(oc.getDPoPHandle(config, await oc.randomDPoPKeyPair('ES256'))).then((r) => r, (e: { cause?: Response; status?: number }) => e);
      expect((stranger as { status: number }).status).toBe(401);
      let sent: string | undefined;
      config[oc.customFetch] = async (u, options) => {
        sent = new Headers(options.headers as HeadersInit).get('dpop') ?? undefined;
        return fetch(u, options as RequestInit);
      };
      expect((await call(dpop)).status).toBe(200);
      const replay = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `DPoP ${tokens.access_token}`, dpop: sent! }, body });
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toMatch(/DPoP [^]*error="invalid_dpop_proof"/);
    } finally {
      await apollo.stop();
      await new Promise((r) => server.close(r));
    }
  });
});
