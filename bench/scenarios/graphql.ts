/**
 * Scenario 5: a `me` query behind `@jwt-oidc/apollo`, against a bare Apollo Server 5 answering
 * the same query without authentication.
 *
 * Cache hits: one token for every request. Cache misses: a pool of distinct valid tokens larger
 * than the plugin's LRU, used in a cycle, so that each request verifies a signature (an LRU
 * visited cyclically by more keys than it holds never hits). The plugin process runs with
 * `cacheSize` = config.missCacheSize for that reason; hits do not depend on the LRU's size.
 */
import type { BenchEnv } from '../lib/env.js';
import { FORM, form, queryMe, tokenRequest } from '../lib/http.js';
import { measurePair, type Side } from '../lib/measure.js';
import type { ServerProcess, SignatureAlg } from '../lib/servers.js';
import { assert } from '../lib/verify.js';
import { perCpuTarget } from './provider.js';
import type { Scenario } from './types.js';

const QUERY = JSON.stringify({ query: '{ me }' });

/** `n` distinct client_credentials tokens of the provider of `alg`. */
export async function tokenPool(env: BenchEnv, alg: SignatureAlg, n: number): Promise<string[]> {
  const p = await env.provider(alg);
  const r = await env.loader.run({ kind: 'http', url: p.issuer, method: 'POST', path: '/token', headers: { 'content-type': FORM, authorization: p.ccAuthorization }, body: form({ grant_type: 'client_credentials', scope: 'api' }), amount: n, connections: env.config.connections, collect: { json: 'access_token' }, pids: [] });
  const tokens = [...new Set(r.collected)];
  assert(tokens.length === n, `asked for ${n} distinct tokens, got ${tokens.length} (${JSON.stringify(r.statusCodes)})`);
  return tokens;
}

/**
 * The bare server gets the same request, Authorization header included (it ignores it): the only
 * difference between the two sides is then the plugin's work, not the bytes on the wire.
 */
function bareSide(server: ServerProcess, token: string): Side {
  return {
    label: 'bare Apollo',
    server,
    async check() {
      const r = await queryMe(server.url);
      assert(r.status === 200 && r.body.data?.me === 'anonymous', `bare Apollo answered ${r.status} ${JSON.stringify(r.body)}`);
    },
    request: async () => ({ url: server.url, method: 'POST', path: '/', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: QUERY }),
  };
}

function pluginSide(server: ServerProcess, tokens: string[], expectedSub: string): Side {
  const headers = { 'content-type': 'application/json', authorization: 'Bearer {{pool}}' };
  return {
    label: 'Apollo + @jwt-oidc/apollo',
    server,
    async check() {
      // The first and the last of the pool: both must be accepted, as the caller they name.
      for (const token of [tokens[0]!, tokens[tokens.length - 1]!]) {
        const r = await queryMe(server.url, token);
        assert(r.status === 200 && r.body.data?.me === expectedSub, `plugin answered ${r.status} ${JSON.stringify(r.body)}`);
      }
      // And a token that is not valid must be refused: the plugin does verify.
      const forged = tokens[0]!.slice(0, -4) + (tokens[0]!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const bad = await queryMe(server.url, forged);
      assert(bad.status === 401, `a forged token got ${bad.status}`);
    },
    // One token: a static request, so the load process does no per-request work the bare side skips.
    request: async () =>
      tokens.length === 1
        ? { url: server.url, method: 'POST', path: '/', headers: { ...headers, authorization: `Bearer ${tokens[0]}` }, body: QUERY }
        : { url: server.url, method: 'POST', path: '/', headers, body: QUERY, pool: { values: tokens, mode: 'cycle' } },
  };
}

function me(alg: SignatureAlg, cache: 'hit' | 'miss'): Scenario {
  return {
    id: `me-${cache}-${alg.toLowerCase()}`,
    title: `GraphQL me via plugin, cache ${cache === "hit" ? "hits" : "misses"}, ${alg}`,
    prepare: (env) => [env.provider(alg), env.pluginApollo(alg, env.config.missCacheSize), env.bareApollo()],
    async run(env, s) {
      const [plugin, bare, p] = await Promise.all([env.pluginApollo(alg, env.config.missCacheSize), env.bareApollo(), env.provider(alg)]);
      const tokens = cache === 'hit' ? [(await tokenRequest(p.issuer, p.ccAuthorization, { grant_type: 'client_credentials', scope: 'api' })).access_token!] : await tokenPool(env, alg, env.config.missPoolSize);
      assert(cache === 'hit' || tokens.length > env.config.missCacheSize, 'the pool must be larger than the cache');
      const sub = JSON.parse(Buffer.from(tokens[0]!.split('.')[1]!, 'base64url').toString()).sub as string;
      const target = alg === 'ES256' ? (cache === 'hit' ? 0.95 : 0.55) : cache === 'hit' ? 0.95 : undefined;
      const result = await measurePair(this.id, this.title, pluginSide(plugin, tokens, sub), bareSide(bare, tokens[0]!), s, target ? perCpuTarget(target) : undefined);
      if (cache === 'miss') result.notes.push(`${tokens.length} distinct tokens cycled through an LRU of ${env.config.missCacheSize}: every request verifies a signature`);
      return result;
    },
  };
}

export const meScenarios = [me('ES256', 'hit'), me('ES512', 'hit'), me('ES256', 'miss'), me('ES512', 'miss')];
