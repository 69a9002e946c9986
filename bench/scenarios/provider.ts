/**
 * Scenarios 1 and 2: discovery, JWKS and `client_credentials` with JWT access tokens, each
 * against oidc-provider 9 (in-memory adapter) doing the same.
 */
import { API, type BenchEnv } from '../lib/env.js';
import { FORM, form } from '../lib/http.js';
import { measurePair, type ScenarioResult, type Side } from '../lib/measure.js';
import type { ServerProcess, SignatureAlg } from '../lib/servers.js';
import { assert, checkTokenResponse, fetchJson } from '../lib/verify.js';
import type { Scenario } from './types.js';

const DISCOVERY = '/.well-known/openid-configuration';

/** Ratio target on requests per server CPU-second (the steady measure on a noisy machine). */
export const perCpuTarget = (min: number) => (r: ScenarioResult) =>
  r.ratio ? { text: `≥ ${min}× per CPU-s`, value: r.ratio.perCpu, pass: r.ratio.perCpu >= min } : undefined;

async function discoverySide(label: string, server: ServerProcess): Promise<Side> {
  return {
    label,
    server,
    async check() {
      const d = await fetchJson(server.url + DISCOVERY);
      assert(d.issuer === server.url, `issuer ${String(d.issuer)} is not ${server.url}`);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']) assert(typeof d[k] === 'string', `no ${k}`);
    },
    request: async () => ({ url: server.url, path: DISCOVERY }),
  };
}

async function jwksSide(label: string, server: ServerProcess, alg: SignatureAlg): Promise<Side> {
  const jwksPath = new URL(String((await fetchJson(server.url + DISCOVERY)).jwks_uri)).pathname;
  return {
    label,
    server,
    async check() {
      const { keys } = (await fetchJson(server.url + jwksPath)) as { keys?: { kty?: string; kid?: string; alg?: string; d?: string }[] };
      assert(Array.isArray(keys) && keys.length > 0, 'no keys');
      assert(keys.every((k) => k.kty && k.kid && !k.d), 'a key without kty/kid, or a private key');
      assert(keys.some((k) => k.alg === alg), `no ${alg} key`);
    },
    request: async () => ({ url: server.url, path: jwksPath }),
  };
}

function clientCredentialsSide(label: string, server: ServerProcess, authorization: string, alg: SignatureAlg): Side {
  const body = form({ grant_type: 'client_credentials', scope: 'api' });
  const headers = { 'content-type': FORM, authorization };
  return {
    label,
    server,
    async check() {
      const res = await fetchJson(`${server.url}/token`, { method: 'POST', headers, body });
      const claims = await checkTokenResponse(res, { issuer: server.url, jwksUri: `${server.url}/jwks`, alg, audience: API });
      assert(String(claims.scope) === 'api', `scope ${String(claims.scope)}`);
    },
    request: async () => ({ url: server.url, method: 'POST', path: '/token', headers, body }),
  };
}

export const discovery: Scenario = {
  id: 'discovery',
  title: 'discovery document',
  prepare: (env) => [env.provider('ES256'), env.oidcProvider('ES256')],
  async run(env, s) {
    const [ours, op] = await Promise.all([env.provider('ES256'), env.oidcProvider('ES256')]);
    return measurePair(this.id, this.title, await discoverySide('jwt-oidc', ours.server), await discoverySide('oidc-provider 9', op.server), s, perCpuTarget(1.0));
  },
};

export const jwks: Scenario = {
  id: 'jwks',
  title: 'JWKS',
  prepare: (env) => [env.provider('ES256'), env.oidcProvider('ES256')],
  async run(env, s) {
    const [ours, op] = await Promise.all([env.provider('ES256'), env.oidcProvider('ES256')]);
    return measurePair(this.id, this.title, await jwksSide('jwt-oidc', ours.server, 'ES256'), await jwksSide('oidc-provider 9', op.server, 'ES256'), s, perCpuTarget(1.0));
  },
};

function clientCredentials(alg: SignatureAlg): Scenario {
  return {
    id: `cc-${alg.toLowerCase()}`,
    title: `client_credentials, JWT access token ${alg}`,
    prepare: (env: BenchEnv) => [env.provider(alg), env.oidcProvider(alg)],
    async run(env, s) {
      const [ours, op] = await Promise.all([env.provider(alg), env.oidcProvider(alg)]);
      return measurePair(
        this.id,
        this.title,
        clientCredentialsSide('jwt-oidc', ours.server, ours.ccAuthorization, alg),
        clientCredentialsSide('oidc-provider 9', op.server, op.authorization, alg),
        s,
        // The target is set for ES256; ES512 is reported for comparison.
        alg === 'ES256' ? perCpuTarget(0.95) : undefined,
      );
    },
  };
}

export const ccEs256 = clientCredentials('ES256');
export const ccEs512 = clientCredentials('ES512');
