/**
 * Request objects by value (RFC 9101) from a certified relying party (openid-client's
 * `buildAuthorizationUrlWithJAR`, alone and pushed with `buildAuthorizationUrlWithPAR`) through
 * the real login pages, with an injected clock: signed by a private_key_jwt client's key or
 * MACed with a client_secret_jwt client's secret; refused when signed by another client's key,
 * with alg none, expired (at its boundary), replayed (a parallel burst), for another client_id,
 * by a client without keys; parameters outside the object ignored; a request_uri not of /par
 * refused; a request object never taken as a client assertion (docs/SECURITY.md section AD).
 */
import { exportJWK, generateKeyPair, decodeJwt, SignJWT, type JWK } from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUrl, CookieJar, expectNothingPersisted, startProvider, throughLoginPages, type TestProvider } from '../support/provider.js';

/** The provider's time: the wall clock, or a frozen instant while a boundary is checked. */
let frozen: number | undefined;
const clock = { now: () => frozen ?? Date.now() };

type Key = { key: CryptoKey; kid: string };
type Client = { clientId: string; clientSecret?: string; redirectUri: string };

let p: TestProvider;
let user: { id: string; username: string };
let keyA: Key;
let keyB: Key;
let pkj: Client;
let other: Client;
let csj: Client;
let spa: Client;
let basic: Client;
let pkjConfig: oc.Configuration;

const REDIRECT = 'http://127.0.0.1:8123/cb';

async function keyPair(kid: string): Promise<{ key: Key; jwk: JWK }> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { key: { key: pair.privateKey, kid }, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

beforeAll(async () => {
  p = await startProvider({}, { clock });
  user = await p.createUser();
  const [a, b] = await Promise.all([keyPair('key-a'), keyPair('key-b')]);
  keyA = a.key;
  keyB = b.key;
  pkj = await p.createClient({ name: 'Keys A', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [a.jwk] }, grantTypes: ['authorization_code', 'client_credentials'] });
  other = await p.createClient({ name: 'Keys B', redirectUris: ['http://127.0.0.1:8124/cb'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [b.jwk] } });
  csj = await p.createClient({ name: 'Secret JWT', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_jwt' });
  spa = await p.createClient({ name: 'SPA', public: true, redirectUris: [REDIRECT] });
  basic = await p.createClient({ name: 'Basic', redirectUris: [REDIRECT] });
  pkjConfig = await configFor(pkj, oc.PrivateKeyJwt(keyA));
}, 120_000);
afterAll(async () => {
  await p?.close();
});

function configFor(client: Client, auth: oc.ClientAuth, method = 'private_key_jwt'): Promise<oc.Configuration> {
  return oc.discovery(new URL(p.issuer), client.clientId, { token_endpoint_auth_method: method }, auth, { execute: [oc.allowInsecureRequests] });
}

/** The parameters of a code request with PKCE, state and nonce; and what the token request then needs. */
async function codeRequest(extra: Record<string, string> = {}) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const params = { response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile', state, nonce, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra };
  return { params, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

/** openid-client's request object URL for pkj, signed with `key`, its claims changed by `modify`. */
async function jarUrl(params: Record<string, string>, key: Key = keyA, modify?: (header: Record<string, unknown>, payload: Record<string, unknown>) => void, config = pkjConfig): Promise<URL> {
  return oc.buildAuthorizationUrlWithJAR(config, params, key, modify ? { [oc.modifyAssertion]: modify as never } : undefined);
}

const nowS = () => Math.floor(clock.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A request object's claims as a client would write them by hand. */
function objectClaims(client: Client, params: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowS();
  return { ...params, client_id: client.clientId, iss: client.clientId, aud: p.issuer, iat: now, exp: now + 60, jti: oc.randomState(), ...extra };
}

/** An authorization request refused at the client's registered URI with `error`; returns the description. */
async function expectRefused(url: string | URL, client: Client, error = 'invalid_request_object', state: string | null = null): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  expect([302, 303], await res.text().then((t) => t.slice(0, 300))).toContain(res.status);
  const location = new URL(res.headers.get('location')!);
  expect(location.origin + location.pathname).toBe(client.redirectUri);
  // In the response mode of the parameters outside the object: the query, or the fragment of their response_type.
  const answer = location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
  expect(answer.get('error'), location.toString()).toBe(error);
  expect(answer.get('state')).toBe(state);
  expect(answer.get('iss')).toBe(p.issuer);
  expect(answer.get('code')).toBeNull();
  return answer.get('error_description') ?? '';
}

describe('request objects at /authorize (RFC 9101)', () => {
  it('RO-01 openid-client\'s request object signed with a private_key_jwt client\'s key: the code flow completes with the object\'s parameters; discovery lists it', async () => {
    const meta = pkjConfig.serverMetadata();
    expect(meta.request_parameter_supported).toBe(true);
    expect(meta.request_uri_parameter_supported).toBe(false);
    expect(meta.request_object_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA', 'HS256', 'HS384', 'HS512']));
    expect(meta.request_object_signing_alg_values_supported).not.toContain('none');

    // JSON and numeric members unpack too (claims: OIDC Core §5.5; max_age a number in the object).
    const { params, checks } = await codeRequest({ max_age: '3600', claims: JSON.stringify({ id_token: { sub: { value: user.id } } }) });
    const url = await jarUrl(params);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
    const object = decodeJwt(url.searchParams.get('request')!);
    expect(object).toMatchObject({ iss: pkj.clientId, aud: p.issuer, max_age: 3600, claims: { id_token: { sub: { value: user.id } } } });
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
    const tokens = await oc.authorizationCodeGrant(pkjConfig, location, checks);
    expect(tokens.claims()).toMatchObject({ iss: p.issuer, sub: user.id, aud: pkj.clientId, nonce: checks.expectedNonce });
    expect(tokens.scope).toBe('openid profile');
  });

  it('RO-01 a client_secret_jwt client\'s request object MACed with its secret (HS256, HS512): the code flow completes', async () => {
    const config = await configFor(csj, oc.ClientSecretJwt(csj.clientSecret!), 'client_secret_jwt');
    for (const alg of ['HS256', 'HS512']) {
      const { params, checks } = await codeRequest();
      const request = await new SignJWT(objectClaims(csj, params)).setProtectedHeader({ alg, typ: 'oauth-authz-req+jwt' }).sign(new TextEncoder().encode(csj.clientSecret!));
      const location = await throughLoginPages(new CookieJar(), authorizeUrl(p, { client_id: csj.clientId, request }), { username: user.username });
      const tokens = await oc.authorizationCodeGrant(config, location, checks);
      expect(tokens.claims(), alg).toMatchObject({ sub: user.id, aud: csj.clientId });
    }
    // Another secret: refused.
    const { params } = await codeRequest();
    const wrong = await new SignJWT(objectClaims(csj, params)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(`${csj.clientSecret}x`));
    expect(await expectRefused(authorizeUrl(p, { client_id: csj.clientId, request: wrong }), csj)).toMatch(/signature is invalid/);
  });

  it('RO-02 signed with another client\'s key (its kid, or none), or with alg none: invalid_request_object at the registered URI, ∅DB', async () => {
    const { params } = await codeRequest();
    const withB = await jarUrl(params, keyB);
    const withoutKid = await jarUrl(params, { key: keyB.key, kid: undefined as never }, (header) => void delete header.kid);
    expect(decodedHeader(withoutKid).kid).toBeUndefined();
    const none = `${b64url({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${b64url(objectClaims(pkj, params))}.`;
    await expectNothingPersisted(p, async () => {
      expect(await expectRefused(withB, pkj)).toMatch(/no registered key of the client matches/);
      expect(await expectRefused(withoutKid, pkj)).toMatch(/signature is invalid/);
      expect(await expectRefused(authorizeUrl(p, { client_id: pkj.clientId, request: none }), pkj)).toMatch(/signed with one of .*ES256/);
      // An HMAC keyed with the client's public key (the algorithm confusion) is no better.
      const publicJwk = JSON.stringify((await p.db.orm.em.fork().getConnection().execute<{ jwks: unknown }[]>('select jwks from clients where id = ?', [pkj.clientId]))[0]!.jwks);
      const hs = await new SignJWT(objectClaims(pkj, params)).setProtectedHeader({ alg: 'HS256', kid: 'key-a' }).sign(new TextEncoder().encode(publicJwk));
      expect(await expectRefused(authorizeUrl(p, { client_id: pkj.clientId, request: hs }), pkj)).toMatch(/signed with one of/);
    });
    // The error goes to the registered URI outside the object, with the state outside it; an unregistered one gets a page.
    expect(await expectRefused(authorizeUrl(p, { client_id: pkj.clientId, redirect_uri: REDIRECT, state: 'outer', request: none }), pkj, 'invalid_request_object', 'outer')).toBeTruthy();
    const evil = await fetch(authorizeUrl(p, { client_id: pkj.clientId, redirect_uri: 'https://evil.example/cb', request: none }), { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
  });

  it('RO-03 iss, aud and typ: another iss, another aud (the authorization endpoint, another issuer), none at all, the typ of a DPoP proof: refused', async () => {
    const { params } = await codeRequest();
    const cases: [(h: Record<string, unknown>, pl: Record<string, unknown>) => void, RegExp][] = [
      [(_, pl) => void (pl.iss = other.clientId), /iss must be the client_id/],
      [(_, pl) => void delete pl.iss, /iss must be the client_id/],
      [(_, pl) => void (pl.aud = `${p.issuer}/authorize`), /aud must be the issuer/],
      [(_, pl) => void (pl.aud = 'https://other-op.example'), /aud must be the issuer/],
      [(_, pl) => void delete pl.aud, /aud must be the issuer/],
      [(h) => void (h.typ = 'dpop+jwt'), /typ must be oauth-authz-req\+jwt/],
    ];
    for (const [modify, description] of cases) {
      expect(await expectRefused(await jarUrl(params, keyA, modify), pkj), String(description)).toMatch(description);
    }
  });

  it('RO-04 parameters outside the object are ignored (state, scope, prompt=none, redirect_uri); a different response_type outside is refused', async () => {
    const { params, checks } = await codeRequest();
    const url = await jarUrl(params);
    for (const [k, v] of Object.entries({ state: 'outside', scope: 'openid admin', prompt: 'none', redirect_uri: 'https://evil.example/cb', response_type: 'code' })) url.searchParams.set(k, v);
    // prompt=none outside would have answered login_required: the login page comes instead.
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe(checks.expectedState);
    const tokens = await oc.authorizationCodeGrant(pkjConfig, location, checks);
    expect(tokens.scope).toBe('openid profile');

    const mismatch = await jarUrl(params);
    mismatch.searchParams.set('response_type', 'code id_token');
    expect(await expectRefused(mismatch, pkj)).toMatch(/response_type must be the same/);
  });

  it('RO-05 exp: accepted until exp + 60 s of skew and refused from then (injected clock); required, at most 300 s ahead; nbf and iat not ahead', async () => {
    const { params } = await codeRequest();
    const exp = nowS() + 60;
    const at = (iat: number) => (_: Record<string, unknown>, pl: Record<string, unknown>) => Object.assign(pl, { iat, nbf: iat, exp });
    const early = await jarUrl(params, keyA, at(exp - 60));
    const late = await jarUrl(params, keyA, at(exp - 60));
    try {
      frozen = (exp + 60) * 1000 - 1;
      const ok = await fetch(early, { redirect: 'manual' });
      expect(ok.status).toBe(303);
      expect(ok.headers.get('location')).toContain('/interaction/');
      frozen = (exp + 60) * 1000;
      expect(await expectRefused(late, pkj)).toMatch(/expired/);
    } finally {
      frozen = undefined;
    }
    const now = nowS();
    const cases: [(h: Record<string, unknown>, pl: Record<string, unknown>) => void, RegExp][] = [
      [(_, pl) => void delete pl.exp, /exp is missing or invalid/],
      [(_, pl) => void (pl.exp = now + 3600), /more than 300 seconds ahead/],
      [(_, pl) => void (pl.nbf = now + 120), /not valid yet/],
      [(_, pl) => void (pl.iat = now + 120), /iat is in the future/],
      [(_, pl) => void delete pl.jti, /jti is missing or invalid/],
    ];
    for (const [modify, description] of cases) {
      expect(await expectRefused(await jarUrl(params, keyA, modify), pkj), String(description)).toMatch(description);
    }
  });

  it('RO-06 a burst of 10 parallel /authorize with one request object: exactly one proceeds, the others get invalid_request_object', async () => {
    const { params } = await codeRequest();
    const url = await jarUrl(params);
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(url, { redirect: 'manual' })));
    const proceeded = answers.filter((r) => r.headers.get('location')?.includes('/interaction/'));
    expect(proceeded).toHaveLength(1);
    for (const r of answers.filter((a) => !a.headers.get('location')?.includes('/interaction/'))) {
      const location = new URL(r.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request_object');
      expect(location.searchParams.get('error_description')).toMatch(/already used/);
    }
    // And later, one at a time, still refused.
    expect(await expectRefused(url, pkj)).toMatch(/already used/);
  });

  it('RO-07 a client_id inside the object other than the one outside: refused; another client_id outside checks it with that client\'s keys', async () => {
    const { params } = await codeRequest();
    const inner = await jarUrl(params, keyA, (_, pl) => void (pl.client_id = other.clientId));
    expect(await expectRefused(inner, pkj)).toMatch(/client_id is not the client's/);
    const outer = await jarUrl(params);
    outer.searchParams.set('client_id', other.clientId);
    expect(await expectRefused(outer, other)).toMatch(/no registered key of the client matches/);
  });

  it('RO-08 a request_uri not made by /par: request_uri_not_supported, alone or beside a request object; a request object inside an object is refused', async () => {
    for (const requestUri of ['https://rp.example/request.jwt', 'urn:example:request:abc']) {
      expect(await expectRefused(authorizeUrl(p, { client_id: pkj.clientId, request_uri: requestUri }), pkj, 'request_uri_not_supported')).toBeTruthy();
      const url = await jarUrl((await codeRequest()).params);
      url.searchParams.set('request_uri', requestUri);
      expect(await expectRefused(url, pkj, 'request_uri_not_supported')).toBeTruthy();
    }
    const nested = await jarUrl({ ...(await codeRequest()).params, request_uri: 'urn:ietf:params:oauth:request_uri:x' });
    expect(await expectRefused(nested, pkj)).toMatch(/must not contain request_uri/);
  });

  it('RO-09 a public client and a client_secret_basic client have no keys for request objects: refused, ∅DB', async () => {
    const { params } = await codeRequest();
    const spaConfig = await configFor(spa, oc.None(), 'none');
    const publicUrl = await oc.buildAuthorizationUrlWithJAR(spaConfig, params, keyA);
    const basicObject = await new SignJWT(objectClaims(basic, params)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(basic.clientSecret!));
    await expectNothingPersisted(p, async () => {
      expect(await expectRefused(publicUrl, spa)).toMatch(/no registered keys/);
      expect(await expectRefused(authorizeUrl(p, { client_id: basic.clientId, request: basicObject }), basic)).toMatch(/no registered keys/);
    });
  });
});

describe('request objects pushed to /par (RFC 9126 §3)', () => {
  it('RO-10 openid-client pushes its request object (private_key_jwt): the parameters beside it are ignored, the code flow completes', async () => {
    const { params, checks } = await codeRequest();
    const { searchParams } = await jarUrl(params);
    searchParams.set('scope', 'openid admin');
    searchParams.set('state', 'outside');
    const url = await oc.buildAuthorizationUrlWithPAR(pkjConfig, searchParams);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const location = await throughLoginPages(new CookieJar(), url.toString(), { username: user.username });
    expect(location.searchParams.get('state')).toBe(checks.expectedState);
    const tokens = await oc.authorizationCodeGrant(pkjConfig, location, checks);
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: pkj.clientId });
    expect(tokens.scope).toBe('openid profile');
  });

  it('RO-10 at /par the object is checked alike: another key, alg none, another client_id, a replay (RO-06): 400 invalid_request_object in JSON', async () => {
    const { params } = await codeRequest();
    const push = async (request: string) => {
      const error = await oc.buildAuthorizationUrlWithPAR(pkjConfig, { client_id: pkj.clientId, request }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(oc.ResponseBodyError);
      expect((error as oc.ResponseBodyError).status).toBe(400);
      expect((error as oc.ResponseBodyError).error).toBe('invalid_request_object');
      return (error as oc.ResponseBodyError).error_description ?? '';
    };
    expect(await push((await jarUrl(params, keyB)).searchParams.get('request')!)).toMatch(/no registered key/);
    expect(await push(`${b64url({ alg: 'none' })}.${b64url(objectClaims(pkj, params))}.`)).toMatch(/signed with one of/);
    expect(await push((await jarUrl(params, keyA, (_, pl) => void (pl.client_id = other.clientId))).searchParams.get('request')!)).toMatch(/client_id is not the client's/);
    const once = (await jarUrl(params)).searchParams.get('request')!;
    expect((await oc.buildAuthorizationUrlWithPAR(pkjConfig, { client_id: pkj.clientId, request: once })).searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(await push(once)).toMatch(/already used/);
  });
});

describe('request objects and client assertions', () => {
  it('RO-11 a request object (typ oauth-authz-req+jwt) is never a client assertion at /token, though its claims would do', async () => {
    const claims = { iss: pkj.clientId, sub: pkj.clientId, aud: p.issuer, exp: nowS() + 60 };
    const token = (assertion: string) =>
      fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    const asObject = await new SignJWT({ ...claims, jti: oc.randomState() }).setProtectedHeader({ alg: 'ES256', kid: 'key-a', typ: 'oauth-authz-req+jwt' }).sign(keyA.key);
    const refused = await token(asObject);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client', error_description: 'a request object is not a client assertion' });
    // The same claims as an assertion are accepted: the refusal is the typ's.
    const asAssertion = await new SignJWT({ ...claims, jti: oc.randomState() }).setProtectedHeader({ alg: 'ES256', kid: 'key-a', typ: 'JWT' }).sign(keyA.key);
    expect((await token(asAssertion)).status).toBe(200);
  });
});

function decodedHeader(url: URL): Record<string, unknown> {
  return JSON.parse(Buffer.from(url.searchParams.get('request')!.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
}
