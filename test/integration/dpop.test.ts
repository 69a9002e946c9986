/**
 * DPoP (RFC 9449) at the provider, over real HTTP with injected clocks: /token binds access tokens
 * (and public clients' refresh tokens) to the proof's key; every check of a proof refuses on its
 * own; each proof is spent once, by any of two instances on one database, in a burst too; nonces
 * (§8, §9) at their window boundary and across instances; /userinfo, /graphql, /introspect and
 * /revoke with bound tokens; requireDpop, dpop_jkt (§10) at /authorize and /par; discovery and
 * dynamic registration (docs/SECURITY.md section Z).
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash } from '@jwt-oidc/resource';
import { ManualClock } from '../../src/clock.js';
import { DPOP_NONCE_WINDOW_MS } from '../../src/provider/dpop.js';
import { closedWithin, connectWs } from '../support/graphql-ws.js';
import { adminUserTokens, gql, login, startPair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
  alg: string;
}
async function newKey(alg = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk), alg };
}

interface ProofOptions {
  htm?: string;
  iat?: number;
  nonce?: string;
  accessToken?: string;
  jti?: string;
  clock?: { now(): number };
  header?: Record<string, unknown>;
}
/** A DPoP proof of `key` for `htu`, good unless `o` says otherwise. */
function proof(key: Key, htu: string, o: ProofOptions = {}): Promise<string> {
  const iat = o.iat ?? Math.floor((o.clock ?? clock).now() / 1000);
  const claims: Record<string, unknown> = { jti: o.jti ?? randomUUID(), htm: o.htm ?? 'POST', htu, iat };
  if (o.nonce !== undefined) claims.nonce = o.nonce;
  if (o.accessToken !== undefined) claims.ath = accessTokenHash(o.accessToken);
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...o.header }).sign(key.privateKey);
}

const clock = new ManualClock();
let provider: TestProvider;
let user: { id: string; username: string; password: string };
let machine: { clientId: string; clientSecret?: string; redirectUri: string };
let rp: { clientId: string; clientSecret?: string; redirectUri: string };
let spa: { clientId: string; clientSecret?: string; redirectUri: string };
let key: Key;
let other: Key;

beforeAll(async () => {
  [key, other] = await Promise.all([newKey('ES256'), newKey('PS256')]);
  provider = await startProvider({}, { clock, captureLogs: true });
  user = await provider.createUser();
  machine = await provider.createClient({ name: 'Machine', grantTypes: ['client_credentials'] });
  rp = await provider.createClient({ name: 'Confidential', firstParty: true, redirectUris: ['https://rp.example/cb'] });
  spa = await provider.createClient({ name: 'SPA', public: true, firstParty: true, redirectUris: ['http://127.0.0.1:8123/cb'] });
}, 120_000);
afterAll(async () => {
  await provider?.close();
});

const tokenUrl = (p: TestProvider) => `${p.issuer}/token`;
const userinfoUrl = (p: TestProvider) => `${p.issuer}/userinfo`;
type TokenBody = { access_token: string; token_type: string; refresh_token?: string; error?: string; error_description?: string };

async function clientCredentials(p: TestProvider, dpop?: string, client = machine): Promise<{ res: Response; body: TokenBody }> {
  const res = await tokenRequest(p, { grant_type: 'client_credentials' }, client, dpop ? { dpop } : {});
  return { res, body: (await res.json()) as TokenBody };
}

/** A user's code flow with `client`, the code redeemed with `dpop` (a proof, or none). */
async function codeFlow(p: TestProvider, client: typeof rp, dpop: ((url: string) => Promise<string>) | undefined, extra: Record<string, string> = {}): Promise<{ res: Response; body: TokenBody }> {
  const { location, verifier } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, password: user.password, scope: 'openid profile offline_access', extra });
  const code = location.searchParams.get('code');
  expect(code, location.toString()).toBeTruthy();
  const res = await tokenRequest(p, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier! }, client, dpop ? { dpop: await dpop(tokenUrl(p)) } : {});
  return { res, body: (await res.json()) as TokenBody };
}

async function refresh(p: TestProvider, client: typeof rp, refreshToken: string, dpop?: string): Promise<{ res: Response; body: TokenBody }> {
  const res = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: refreshToken }, client, dpop ? { dpop } : {});
  return { res, body: (await res.json()) as TokenBody };
}

function userinfo(p: TestProvider, authorization: string, dpop?: string, method = 'GET'): Promise<Response> {
  return fetch(userinfoUrl(p), { method, headers: { authorization, ...(dpop ? { dpop } : {}) } });
}

async function expectTokenError(r: { res: Response; body: TokenBody }, error: string, what = ''): Promise<void> {
  expect(r.res.status, `${what} ${JSON.stringify(r.body)}`).toBe(400);
  expect(r.body.error, `${what} ${JSON.stringify(r.body)}`).toBe(error);
  expect(r.body.access_token).toBeUndefined();
}

describe('the token endpoint (RFC 9449 §5)', () => {
  it('DP-01 client_credentials with a proof: token_type DPoP and cnf.jkt the proof key\'s thumbprint; without one a Bearer token without cnf', async () => {
    const bound = await clientCredentials(provider, await proof(key, tokenUrl(provider)));
    expect(bound.res.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
    expect(decodeJwt(bound.body.access_token).cnf).toEqual({ jkt: key.jkt });
    const plain = await clientCredentials(provider);
    expect(plain.body.token_type).toBe('Bearer');
    expect(decodeJwt(plain.body.access_token).cnf).toBeUndefined();
  });

  it('DP-01 DP-08 authorization_code: the access token is bound; a confidential client\'s refresh token is not, and a refresh binds the new access token to the key of its own proof', async () => {
    const { res, body } = await codeFlow(provider, rp, (url) => proof(key, url));
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
    // §5: a confidential client's refresh token is bound to its credentials, not to a key.
    const unbound = await refresh(provider, rp, body.refresh_token!);
    expect(unbound.res.status, JSON.stringify(unbound.body)).toBe(200);
    expect(unbound.body.token_type).toBe('Bearer');
    const rebound = await refresh(provider, rp, unbound.body.refresh_token!, await proof(other, tokenUrl(provider)));
    expect(rebound.res.status, JSON.stringify(rebound.body)).toBe(200);
    expect(rebound.body.token_type).toBe('DPoP');
    expect(decodeJwt(rebound.body.access_token).cnf).toEqual({ jkt: other.jkt });
  });

  it('DP-07 a public client\'s refresh token is bound to the key: without a proof or with another key\'s it is invalid_grant and stays usable; with the key it rotates, and the successor is bound too', async () => {
    const { res, body } = await codeFlow(provider, spa, (url) => proof(key, url));
    expect(res.status, JSON.stringify(body)).toBe(200);
    await expectTokenError(await refresh(provider, spa, body.refresh_token!), 'invalid_grant', 'no proof');
    await expectTokenError(await refresh(provider, spa, body.refresh_token!, await proof(other, tokenUrl(provider))), 'invalid_grant', 'other key');
    const good = await refresh(provider, spa, body.refresh_token!, await proof(key, tokenUrl(provider)));
    expect(good.res.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.token_type).toBe('DPoP');
    expect(decodeJwt(good.body.access_token).cnf).toEqual({ jkt: key.jkt });
    await expectTokenError(await refresh(provider, spa, good.body.refresh_token!, await proof(other, tokenUrl(provider))), 'invalid_grant', 'successor, other key');
    const again = await refresh(provider, spa, good.body.refresh_token!, await proof(key, tokenUrl(provider)));
    expect(again.res.status, JSON.stringify(again.body)).toBe(200);
  });

  it('DP-07 a public client\'s refresh token issued without a proof stays a bearer refresh token', async () => {
    const { body } = await codeFlow(provider, spa, undefined);
    expect(body.token_type).toBe('Bearer');
    const next = await refresh(provider, spa, body.refresh_token!);
    expect(next.res.status, JSON.stringify(next.body)).toBe(200);
  });

  it('DP-02 each check of a proof refuses on its own with 400 invalid_dpop_proof, and no token is issued', async () => {
    const url = tokenUrl(provider);
    const { privateKey: hmacLike } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    const cases: [string, Promise<string> | string][] = [
      ['htm GET', proof(key, url, { htm: 'GET' })],
      ['htu of another endpoint', proof(key, `${provider.issuer}/userinfo`)],
      ['typ JWT', proof(key, url, { header: { typ: 'JWT' } })],
      ['signed by another key than its jwk', new SignJWT({ jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(clock.now() / 1000) }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(hmacLike)],
      ['a private jwk', proof(key, url, { header: { jwk: privateJwk } })],
      ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ jti: 'x', htm: 'POST', htu: url, iat: Math.floor(clock.now() / 1000) })).toString('base64url')}.`],
      ['not a JWS', 'not-a-proof'],
      ['two proofs', Promise.all([proof(key, url), proof(key, url)]).then((p) => p.join(', '))],
    ];
    for (const [what, p] of cases) await expectTokenError(await clientCredentials(provider, await p), 'invalid_dpop_proof', what);
  });

  it('DP-03 iat window (injected clock): 65 s old (60 + 5 of skew) is accepted, 66 s refused; 5 s ahead accepted, 6 s refused', async () => {
    clock.set(Math.ceil(clock.now() / 1000) * 1000);
    const now = Math.floor(clock.now() / 1000);
    const url = tokenUrl(provider);
    const oldest = await clientCredentials(provider, await proof(key, url, { iat: now - 65 }));
    expect(oldest.res.status, JSON.stringify(oldest.body) + JSON.stringify(provider.logs?.slice(-3))).toBe(200);
    await expectTokenError(await clientCredentials(provider, await proof(key, url, { iat: now - 66 })), 'invalid_dpop_proof', 'too old');
    expect((await clientCredentials(provider, await proof(key, url, { iat: now + 5 }))).res.status).toBe(200);
    await expectTokenError(await clientCredentials(provider, await proof(key, url, { iat: now + 6 })), 'invalid_dpop_proof', 'future');
    // The same proof, accepted at 65 s, is refused one second later by the clock alone.
    const aging = await proof(key, url, { iat: now - 64 });
    clock.advance(2000);
    await expectTokenError(await clientCredentials(provider, aging), 'invalid_dpop_proof', 'aged');
  });

  it('DP-04 a proof is spent once: its second use is invalid_dpop_proof; of 10 parallel token requests with one proof exactly one succeeds', async () => {
    const once = await proof(key, tokenUrl(provider));
    expect((await clientCredentials(provider, once)).res.status).toBe(200);
    await expectTokenError(await clientCredentials(provider, once), 'invalid_dpop_proof', 'replayed');
    const burst = await proof(key, tokenUrl(provider));
    const results = await Promise.all(Array.from({ length: 10 }, () => clientCredentials(provider, burst)));
    expect(results.map((r) => r.res.status).sort()).toEqual([200, ...Array(9).fill(400)]);
    for (const r of results.filter((x) => x.res.status === 400)) expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('DP-04 the same jti from another key is another proof', async () => {
    const jti = randomUUID();
    expect((await clientCredentials(provider, await proof(key, tokenUrl(provider), { jti }))).res.status).toBe(200);
    expect((await clientCredentials(provider, await proof(other, tokenUrl(provider), { jti }))).res.status).toBe(200);
  });

  it('DP-06 housekeeping sweeps spent proofs once their window has passed (the table does not grow)', async () => {
    const count = async () => (await provider.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from dpop_proofs'))[0]!.n;
    expect(await count()).toBeGreaterThan(0);
    clock.advance(120_000);
    await provider.housekeeping!.run();
    expect(await count()).toBe(0);
  });
});

describe('requireDpop and dpop_bound_access_tokens (RFC 9449 §5.2)', () => {
  it('DP-12 a client with requireDpop (set over GraphQL) is refused a token request without a proof with invalid_dpop_proof; with one it gets a bound token; cleared, bearer again', async () => {
    const { tokens } = await adminUserTokens(provider);
    const UPDATE = 'mutation($id: ID!, $on: Boolean!) { updateClient(id: $id, input: { requireDpop: $on }) { id requireDpop } }';
    const on = await gql(provider, UPDATE, { id: machine.clientId, on: true }, tokens.access_token);
    expect(on.body.data?.updateClient, on.text).toEqual({ id: machine.clientId, requireDpop: true });
    expect((await provider.provider!.clients.get(machine.clientId))?.requireDpop).toBe(true);
    await expectTokenError(await clientCredentials(provider), 'invalid_dpop_proof', 'required');
    const bound = await clientCredentials(provider, await proof(key, tokenUrl(provider)));
    expect(bound.body.token_type).toBe('DPoP');
    const off = await gql(provider, UPDATE, { id: machine.clientId, on: false }, tokens.access_token);
    expect(off.body.data?.updateClient.requireDpop, off.text).toBe(false);
    expect((await clientCredentials(provider)).body.token_type).toBe('Bearer');
  });

  it('DP-18 dynamic registration: dpop_bound_access_tokens true registers a client with requireDpop, and the metadata returned say so', async () => {
    const open = await startProvider({ JWT_OIDC_REGISTRATION_POLICY: 'open' });
    try {
      const res = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://dyn.example/cb'], dpop_bound_access_tokens: true }) });
      const body = (await res.json()) as { client_id: string; dpop_bound_access_tokens?: boolean };
      expect(res.status, JSON.stringify(body)).toBe(201);
      expect(body.dpop_bound_access_tokens).toBe(true);
      expect((await open.provider!.clients.get(body.client_id))?.requireDpop ?? (await eventuallyClient(open, body.client_id))).toBe(true);
      const plain = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://dyn.example/cb'] }) });
      const plainBody = (await plain.json()) as { dpop_bound_access_tokens?: boolean };
      expect(plainBody.dpop_bound_access_tokens).toBeUndefined();
      const bad = await fetch(`${open.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://dyn.example/cb'], dpop_bound_access_tokens: 'yes' }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toBe('invalid_client_metadata');
      const discovery = (await (await fetch(`${open.issuer}/.well-known/openid-configuration`)).json()) as { dpop_signing_alg_values_supported: string[] };
      expect(discovery.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256', 'EdDSA']));
      expect(discovery.dpop_signing_alg_values_supported).not.toContain('HS256');
    } finally {
      await open.close();
    }
  });
});

async function eventuallyClient(p: TestProvider, id: string): Promise<boolean | undefined> {
  for (let i = 0; i < 50; i++) {
    const c = await p.provider!.clients.get(id);
    if (c) return c.requireDpop;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('dpop_jkt (RFC 9449 §10)', () => {
  it('DP-13 a code whose request named dpop_jkt is redeemed with a proof of that key only: none or another key is invalid_grant', async () => {
    await expectTokenError(await codeFlow(provider, spa, undefined, { dpop_jkt: key.jkt }), 'invalid_grant', 'no proof');
    await expectTokenError(await codeFlow(provider, spa, (url) => proof(other, url), { dpop_jkt: key.jkt }), 'invalid_grant', 'other key');
    const good = await codeFlow(provider, spa, (url) => proof(key, url), { dpop_jkt: key.jkt });
    expect(good.res.status, JSON.stringify(good.body)).toBe(200);
    expect(decodeJwt(good.body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('DP-13 a malformed dpop_jkt is invalid_request at /authorize', async () => {
    const { location } = await login(provider, { clientId: spa.clientId, redirectUri: spa.redirectUri, username: user.username, extra: { dpop_jkt: 'short' } });
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/dpop_jkt/);
  });

  it('DP-14 a proof at /par binds the code to its key; a pushed dpop_jkt of another key beside it is invalid_request', async () => {
    const par = `${provider.issuer}/par`;
    const fields = { client_id: spa.clientId, response_type: 'code', redirect_uri: spa.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
    const mismatch = await fetch(par, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(key, par) }, body: new URLSearchParams({ ...fields, dpop_jkt: other.jkt }) });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: string }).error).toBe('invalid_request');
    const badProof = await fetch(par, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(key, tokenUrl(provider)) }, body: new URLSearchParams(fields) });
    expect(badProof.status).toBe(400);
    expect(((await badProof.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    const pushed = await fetch(par, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(key, par) }, body: new URLSearchParams(fields) });
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    expect(pushed.status).toBe(201);
    // The pushed request now names the key: the code it yields needs a proof of it.
    const { location } = await login(provider, { clientId: spa.clientId, redirectUri: spa.redirectUri, username: user.username, challenge: null, extra: { request_uri, response_type: undefined as unknown as string, redirect_uri: undefined as unknown as string, scope: undefined as unknown as string } });
    const code = location.searchParams.get('code');
    expect(code, location.toString()).toBeTruthy();
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const refused = await tokenRequest(provider, { grant_type: 'authorization_code', code: code!, redirect_uri: spa.redirectUri, code_verifier: verifier }, spa, { dpop: await proof(other, tokenUrl(provider)) });
    expect(((await refused.json()) as TokenBody).error).toBe('invalid_grant');
    const ok = await tokenRequest(provider, { grant_type: 'authorization_code', code: code!, redirect_uri: spa.redirectUri, code_verifier: verifier }, spa, { dpop: await proof(key, tokenUrl(provider)) });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });
});

describe('bound tokens at the provider\'s own resources (RFC 9449 §7)', () => {
  let token: string;
  beforeAll(async () => {
    const { body } = await codeFlow(provider, rp, (url) => proof(key, url));
    token = body.access_token;
  });

  it('DP-09 /userinfo: the DPoP scheme with a proof of the key, for this request and token, is answered (GET and POST)', async () => {
    const res = await userinfo(provider, `DPoP ${token}`, await proof(key, userinfoUrl(provider), { htm: 'GET', accessToken: token }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { sub: string }).sub).toBe(user.id);
    const post = await userinfo(provider, `DPoP ${token}`, await proof(key, userinfoUrl(provider), { htm: 'POST', accessToken: token }), 'POST');
    expect(post.status).toBe(200);
  });

  it('DP-09 /userinfo refuses, each with 401 and a DPoP challenge: the bound token as Bearer, without a proof, another key\'s proof, a replayed proof, a proof of another method, URI or token', async () => {
    const url = userinfoUrl(provider);
    const replayed = await proof(key, url, { htm: 'GET', accessToken: token });
    expect((await userinfo(provider, `DPoP ${token}`, replayed)).status).toBe(200);
    const cases: [string, string, string | undefined, string][] = [
      ['as Bearer', `Bearer ${token}`, await proof(key, url, { htm: 'GET', accessToken: token }), 'invalid_token'],
      ['no proof', `DPoP ${token}`, undefined, 'invalid_dpop_proof'],
      ['another key', `DPoP ${token}`, await proof(other, url, { htm: 'GET', accessToken: token }), 'invalid_dpop_proof'],
      ['replayed', `DPoP ${token}`, replayed, 'invalid_dpop_proof'],
      ['htm POST', `DPoP ${token}`, await proof(key, url, { htm: 'POST', accessToken: token }), 'invalid_dpop_proof'],
      ['htu /token', `DPoP ${token}`, await proof(key, tokenUrl(provider), { htm: 'GET', accessToken: token }), 'invalid_dpop_proof'],
      ['ath of another token', `DPoP ${token}`, await proof(key, url, { htm: 'GET', accessToken: 'another' }), 'invalid_dpop_proof'],
      ['no ath', `DPoP ${token}`, await proof(key, url, { htm: 'GET' }), 'invalid_dpop_proof'],
    ];
    for (const [what, authorization, dpop, error] of cases) {
      const res = await userinfo(provider, authorization, dpop);
      expect(res.status, what).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, what).toMatch(/^DPoP /);
      expect(challenge, what).toContain('algs="');
      expect(challenge, what).toContain(`error="${error}"`);
      expect(((await res.json()) as { error: string }).error, what).toBe(error);
    }
  });

  it('DP-11 a bearer token with the DPoP scheme is refused; bearer failures keep the Bearer challenge; no token gets both challenges', async () => {
    const { body } = await clientCredentials(provider);
    const asDpop = await userinfo(provider, `DPoP ${body.access_token}`, await proof(key, userinfoUrl(provider), { htm: 'GET', accessToken: body.access_token }));
    expect(asDpop.status).toBe(401);
    expect(asDpop.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
    const bad = await userinfo(provider, 'Bearer not.a.token');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*error="invalid_token"/);
    const none = await fetch(userinfoUrl(provider));
    expect(none.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="${provider.issuer}", DPoP realm="${provider.issuer}", algs="[A-Za-z0-9 ]+"$`));
  });

  it('DP-10 /graphql: a bound token with its proof is the caller; as Bearer, without a proof or with a replayed one it is 401 with a DPoP challenge', async () => {
    const graphql = new URL('/graphql', provider.issuer).href;
    const ask = (authorization: string, dpop?: string) => fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization, ...(dpop ? { dpop } : {}) }, body: JSON.stringify({ query: '{ me { clientId claims } }' }) });
    const good = await proof(key, graphql, { accessToken: token });
    const ok = await ask(`DPoP ${token}`, good);
    const okBody = (await ok.json()) as { data?: { me: { clientId: string; claims: { sub: string } } } };
    expect(ok.status, JSON.stringify(okBody)).toBe(200);
    expect(okBody.data?.me).toMatchObject({ clientId: rp.clientId, claims: { sub: user.id } });
    for (const [what, res] of [
      ['as Bearer', await ask(`Bearer ${token}`)],
      ['no proof', await ask(`DPoP ${token}`)],
      ['replayed', await ask(`DPoP ${token}`, good)],
      ['another key', await ask(`DPoP ${token}`, await proof(other, graphql, { accessToken: token }))],
    ] as const) {
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toMatch(/^DPoP realm=".*algs=".*error="/);
    }
  });

  it('DP-10 over WebSocket, where no proof comes with each message, a bound token is refused (4401); a bearer token connects', async () => {
    const ws = `${provider.url.replace(/^http/, 'ws')}/graphql`;
    const bound = connectWs(ws, { token });
    const sub = bound.subscribe('subscription { auditEvents { event } }');
    expect((await closedWithin(bound, 5000)).code).toBe(4401);
    expect(sub.results).toEqual([]);
    const { tokens } = await adminUserTokens(provider);
    const bearer = connectWs(ws, { token: tokens.access_token });
    bearer.subscribe('subscription { auditEvents { event } }');
    await expect(closedWithin(bearer, 1000)).rejects.toThrow(/still open/);
    await bearer.client.dispose();
  });

  it('DP-17 /introspect describes a bound token with token_type DPoP and cnf.jkt; /revoke ends it like any other', async () => {
    const auth = `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`;
    const post = (path: string, fields: Record<string, string>) => fetch(`${provider.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: new URLSearchParams(fields) });
    const { body } = await codeFlow(provider, rp, (url) => proof(key, url));
    const described = (await (await post('/introspect', { token: body.access_token })).json()) as Record<string, unknown>;
    expect(described).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt }, client_id: rp.clientId });
    expect((await post('/revoke', { token: body.access_token })).status).toBe(200);
    expect(await (await post('/introspect', { token: body.access_token })).json()).toEqual({ active: false });
    const refused = await userinfo(provider, `DPoP ${body.access_token}`, await proof(key, userinfoUrl(provider), { htm: 'GET', accessToken: body.access_token }));
    expect(refused.status).toBe(401);
  });
});

describe('two instances on one database, nonces required (RFC 9449 §8, §9, §11.1)', () => {
  const nonceClock = new ManualClock();
  let a: TestProvider;
  let b: TestProvider;
  let client: { clientId: string; clientSecret?: string; redirectUri: string };
  beforeAll(async () => {
    [a, b] = await startPair({ JWT_OIDC_DPOP_NONCE: 'required' }, { clock: nonceClock, captureLogs: true });
    client = await a.createClient({ name: 'Machine', grantTypes: ['client_credentials'] });
    await eventuallyKnown(b, client.clientId);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** A nonce of `p`: from its use_dpop_nonce answer to a proof without one. */
  async function nonceOf(p: TestProvider, c: { now(): number } = nonceClock): Promise<string> {
    const first = await clientCredentials(p, await proof(key, tokenUrl(p), { clock: c }), client);
    await expectTokenError(first, 'use_dpop_nonce');
    const nonce = first.res.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return nonce!;
  }

  it('DP-15 a proof without a nonce is 400 use_dpop_nonce with DPoP-Nonce; with it the token is issued, and the answer carries DPoP-Nonce', async () => {
    nonceClock.set(Date.now());
    const nonce = await nonceOf(a);
    const { res, body } = await clientCredentials(a, await proof(key, tokenUrl(a), { nonce, clock: nonceClock }), client);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get('dpop-nonce')).toBe(nonce);
    await expectTokenError(await clientCredentials(a, await proof(key, tokenUrl(a), { nonce: 'x'.repeat(43), clock: nonceClock }), client), 'use_dpop_nonce', 'forged nonce');
    await expectTokenError(await clientCredentials(a, await proof(key, tokenUrl(a), { nonce: 'é'.repeat(43), clock: nonceClock }), client), 'use_dpop_nonce', 'a nonce of other characters');
    // Asking for a nonce is a step of the protocol (§8), not a refusal for the audit trail.
    expect(a.logs.filter((l) => l.event === 'token.refused' && l.error === 'use_dpop_nonce')).toEqual([]);
    expect(a.logs.some((l) => l.event === 'token.issued' && l.dpop === true)).toBe(true);
  });

  it('DP-15 at /userinfo and /graphql a missing nonce is 401 with a DPoP challenge use_dpop_nonce and DPoP-Nonce; every answer carries DPoP-Nonce', async () => {
    nonceClock.set(Date.now());
    const nonce = await nonceOf(a);
    const { body } = await clientCredentials(a, await proof(key, tokenUrl(a), { nonce, clock: nonceClock }), client);
    const res = await userinfo(a, `DPoP ${body.access_token}`, await proof(key, userinfoUrl(a), { htm: 'GET', accessToken: body.access_token, clock: nonceClock }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    expect(res.headers.get('dpop-nonce')).toBe(nonce);
    const ok = await userinfo(a, `DPoP ${body.access_token}`, await proof(key, userinfoUrl(a), { htm: 'GET', accessToken: body.access_token, nonce, clock: nonceClock }));
    expect(ok.status, await ok.clone().text()).toBe(401); // a client token has no userinfo: the proof itself passed
    expect(ok.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token".*not to a user/);
    expect(ok.headers.get('dpop-nonce')).toBe(nonce);
    // /graphql hands the nonce out with every answer, and checks it as /userinfo does.
    const graphql = new URL('/graphql', a.issuer).href;
    const ask = (dpop: string) => fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `DPoP ${body.access_token}`, dpop }, body: JSON.stringify({ query: '{ me { clientId } }' }) });
    const noNonce = await ask(await proof(key, graphql, { accessToken: body.access_token, clock: nonceClock }));
    expect(noNonce.status).toBe(401);
    expect(noNonce.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
    expect(noNonce.headers.get('dpop-nonce')).toBe(nonce);
    const withNonce = await ask(await proof(key, graphql, { accessToken: body.access_token, nonce, clock: nonceClock }));
    expect(withNonce.status, await withNonce.clone().text()).toBe(200);
    expect(((await withNonce.json()) as { data: { me: { clientId: string } } }).data.me.clientId).toBe(client.clientId);
    expect(withNonce.headers.get('dpop-nonce')).toBe(nonce);
  });

  it('DP-16 a nonce works in its window and the next, not after (injected clock at the boundary)', async () => {
    const start = (Math.floor(Date.now() / DPOP_NONCE_WINDOW_MS) + 1) * DPOP_NONCE_WINDOW_MS;
    nonceClock.set(start - 1); // the last millisecond of a window
    const nonce = await nonceOf(a);
    nonceClock.set(start + DPOP_NONCE_WINDOW_MS - 1); // the last millisecond of the next window
    expect((await clientCredentials(a, await proof(key, tokenUrl(a), { nonce, clock: nonceClock }), client)).res.status).toBe(200);
    nonceClock.set(start + DPOP_NONCE_WINDOW_MS); // two windows on
    const stale = await clientCredentials(a, await proof(key, tokenUrl(a), { nonce, clock: nonceClock }), client);
    await expectTokenError(stale, 'use_dpop_nonce', 'stale');
    expect(stale.res.headers.get('dpop-nonce')).not.toBe(nonce);
  });

  it('DP-16 a nonce of one instance is accepted by the other', async () => {
    nonceClock.set(Date.now());
    const nonce = await nonceOf(b, { now: () => Date.now() });
    const { res } = await clientCredentials(a, await proof(key, tokenUrl(a), { nonce, clock: nonceClock }), client);
    expect(res.status).toBe(200);
  });

  it('DP-05 a proof spent on one instance is refused by the other; of a burst split over both, one succeeds', async () => {
    nonceClock.set(Date.now());
    const nonce = await nonceOf(a);
    const once = await proof(key, tokenUrl(a), { nonce, clock: nonceClock });
    expect((await clientCredentials(a, once, client)).res.status).toBe(200);
    await expectTokenError(await clientCredentials(b, once, client), 'invalid_dpop_proof', 'replayed on b');
    const burst = await proof(key, tokenUrl(a), { nonce, clock: nonceClock });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => clientCredentials(i % 2 ? a : b, burst, client)));
    expect(results.map((r) => r.res.status).sort()).toEqual([200, ...Array(9).fill(400)]);
  });
});

async function eventuallyKnown(p: TestProvider, id: string): Promise<void> {
  for (let i = 0; i < 100 && !(await p.provider!.clients.get(id)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await p.provider!.clients.get(id)).toBeDefined();
}
