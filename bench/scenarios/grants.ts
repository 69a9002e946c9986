/**
 * Scenarios 3 and 4: the grants that write to PostgreSQL (code exchange, refresh rotation) and
 * userinfo, all on the ES256 provider with a first-party relying party. No peer: oidc-provider's
 * in-memory adapter writes nothing, so a ratio would compare a database with a Map. The target
 * is absolute (refresh: requests per server CPU-second).
 *
 * Codes are single-use, so each run gets its own pool, made just before it (outside the timed
 * window) by authorization requests of a browser that already has a session — one password
 * hash for the whole run, and every code still goes through the real authorization endpoint.
 * Refresh tokens feed themselves: every rotation answers with the next token.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { BenchEnv, OurProvider, RelyingParty } from '../lib/env.js';
import { FORM, authorizePath, form, tokenRequest } from '../lib/http.js';
import { measurePair, type Phase, type Side } from '../lib/measure.js';
import { assert, checkTokenResponse, fetchJson } from '../lib/verify.js';
import type { Scenario } from './types.js';

/** `n` fresh codes for the relying party, from GET /authorize with its session cookie. */
export async function makeCodes(env: BenchEnv, p: OurProvider, rp: RelyingParty, n: number): Promise<string[]> {
  const result = await env.loader.run({
    kind: 'http',
    url: p.issuer,
    path: authorizePath({ clientId: rp.clientId, redirectUri: rp.redirectUri, scope: rp.scope, challenge: rp.pkce.challenge }),
    headers: { cookie: rp.jar.header() },
    amount: n,
    connections: Math.min(env.config.connections, n),
    collect: { locationParam: 'code' },
    pids: [],
  });
  assert(result.collected && result.collected.length === n, `asked for ${n} codes, got ${result.collected?.length ?? 0} (${JSON.stringify(result.statusCodes)})`);
  return result.collected;
}

export const exchangeBody = (rp: RelyingParty) => `${form({ grant_type: 'authorization_code', redirect_uri: rp.redirectUri, code_verifier: rp.pkce.verifier })}&code={{pool}}`;

/** Checks a user token response: access token, ID token for the client, a refresh token. */
export async function checkUserTokens(p: OurProvider, rp: RelyingParty, body: Record<string, unknown>): Promise<void> {
  await checkTokenResponse(body, { issuer: p.issuer, jwksUri: `${p.issuer}/jwks`, alg: 'ES256', audience: p.issuer });
  assert(typeof body.refresh_token === 'string', 'no refresh_token');
  assert(typeof body.id_token === 'string', 'no id_token');
  const jwks = createLocalJWKSet((await fetchJson(`${p.issuer}/jwks`)) as { keys: [] });
  const { payload } = await jwtVerify(String(body.id_token), jwks, { issuer: p.issuer, audience: rp.clientId });
  assert(typeof payload.sub === 'string' && typeof payload.auth_time === 'number', 'ID token lacks sub or auth_time');
}

async function grantSetup(env: BenchEnv): Promise<{ p: OurProvider; rp: RelyingParty }> {
  const [p, rp] = await Promise.all([env.provider('ES256'), env.relyingParty()]);
  return { p, rp };
}

export const code: Scenario = {
  id: 'code',
  title: 'authorization_code exchange (PKCE, writes to PostgreSQL)',
  prepare: (env) => [env.relyingParty()],
  async run(env, s) {
    const { p, rp } = await grantSetup(env);
    const headers = { 'content-type': FORM, authorization: rp.authorization };
    let rate = 0; // measured by the warm-up, sizes the rounds
    const side: Side = {
      label: 'jwt-oidc',
      server: p.server,
      async check() {
        const [c] = await makeCodes(env, p, rp, 1);
        await checkUserTokens(p, rp, await tokenRequest(p.issuer, rp.authorization, { grant_type: 'authorization_code', code: c!, redirect_uri: rp.redirectUri, code_verifier: rp.pkce.verifier }));
      },
      async request(phase: Phase) {
        const amount = phase === 'warmup' ? (env.config.quick ? 100 : 600) : Math.max(100, Math.round(rate * s.roundSec));
        const codes = await makeCodes(env, p, rp, amount);
        return { url: p.issuer, method: 'POST', path: '/token', headers, body: exchangeBody(rp), pool: { values: codes, mode: 'once' }, amount };
      },
      after(r) {
        if (!rate) rate = r.rps;
      },
    };
    return measurePair(this.id, this.title, side, undefined, s);
  },
};

export const refresh: Scenario = {
  id: 'refresh',
  title: 'refresh_token rotation (writes to PostgreSQL)',
  prepare: (env) => [env.relyingParty()],
  async run(env, s) {
    const { p, rp } = await grantSetup(env);
    const headers = { 'content-type': FORM, authorization: rp.authorization };
    // A few tokens per connection: each run loses the ones in flight when it stops.
    const codes = await makeCodes(env, p, rp, env.config.connections * 6);
    const seeded = await env.loader.run({ kind: 'http', url: p.issuer, method: 'POST', path: '/token', headers, body: exchangeBody(rp), pool: { values: codes, mode: 'once' }, amount: codes.length, connections: env.config.connections, collect: { json: 'refresh_token' }, pids: [] });
    let pool = seeded.collected ?? [];
    assert(pool.length === codes.length, `seeding refresh tokens: ${JSON.stringify(seeded.statusCodes)}`);
    const side: Side = {
      label: 'jwt-oidc',
      server: p.server,
      async check() {
        const body = await tokenRequest(p.issuer, rp.authorization, { grant_type: 'refresh_token', refresh_token: pool.shift()! });
        await checkUserTokens(p, rp, body);
        pool.push(body.refresh_token!);
      },
      request: async () => ({ url: p.issuer, method: 'POST', path: '/token', headers, body: 'grant_type=refresh_token&refresh_token={{pool}}', pool: { values: pool, mode: 'feedback', feedback: 'refresh_token' } }),
      after(r) {
        pool = r.leftover ?? [];
      },
    };
    return measurePair(this.id, this.title, side, undefined, s, (r) => {
      const v = r.ours?.perCpuSec ?? 0;
      return { text: '≥ 800 req per CPU-s', value: v, pass: v >= 800 };
    });
  },
};

export const userinfo: Scenario = {
  id: 'userinfo',
  title: 'userinfo (GET, bearer token)',
  prepare: (env) => [env.relyingParty()],
  async run(env, s) {
    const { p, rp } = await grantSetup(env);
    const [c] = await makeCodes(env, p, rp, 1);
    const tokens = await tokenRequest(p.issuer, rp.authorization, { grant_type: 'authorization_code', code: c!, redirect_uri: rp.redirectUri, code_verifier: rp.pkce.verifier });
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const side: Side = {
      label: 'jwt-oidc',
      server: p.server,
      async check() {
        const claims = await fetchJson(`${p.issuer}/userinfo`, { headers });
        const sub = JSON.parse(Buffer.from(tokens.access_token!.split('.')[1]!, 'base64url').toString()).sub as string;
        assert(claims.sub === sub, `userinfo sub ${String(claims.sub)} is not the token's ${sub}`);
        assert(claims.email === 'bench@example.com' && claims.given_name === 'Bench', `claims by scope missing: ${JSON.stringify(claims)}`);
      },
      request: async () => ({ url: p.issuer, path: '/userinfo', headers }),
    };
    return measurePair(this.id, this.title, side, undefined, s);
  },
};
