/**
 * Scenario 8: GraphQL subscriptions' connections (graphql-ws, `graphql-transport-ws`) with
 * `withSubscriptionAuth` of @jwt-oidc/apollo, against the same graphql-ws server without any
 * authentication. A request here is one connection: upgrade, `connection_init` carrying a bearer
 * token, `connection_ack`, close — the token is checked once per connection, so that is the unit
 * the check costs. Both sides get the identical message, token included (the bare one ignores it).
 *
 * Cache hits: one token for every connection (the target applies). Cache misses: a pool of
 * distinct valid tokens larger than the plugin's LRU, cycled, as in the graphql scenario: every
 * connection verifies a signature. One auth process with `cacheSize` = config.missCacheSize
 * serves both; hits do not depend on the LRU's size.
 */
import { tokenRequest } from '../lib/http.js';
import { measurePair, type Side } from '../lib/measure.js';
import type { ServerProcess, SignatureAlg } from '../lib/servers.js';
import { assert } from '../lib/verify.js';
import { connectionInit, handshake } from '../lib/ws.js';
import { tokenPool } from './graphql.js';
import { perCpuTarget } from './provider.js';
import type { Scenario } from './types.js';

const ALG: SignatureAlg = 'ES256';
const CHECK_TIMEOUT_MS = 10_000;

const endpoint = (server: ServerProcess) => `${server.url.replace(/^http/, 'ws')}/graphql`;

/** A connection that is acknowledged and runs an operation: `subscription { tick }` yields 0 first. */
async function expectTick(url: string, init: string, what: string): Promise<void> {
  const h = await handshake(url, init, { subscribe: 'subscription { tick }', timeoutMs: CHECK_TIMEOUT_MS });
  const tick = (h.first as { data?: { tick?: unknown } } | undefined)?.data?.tick;
  assert(h.outcome === 'ack' && tick === 0, `${what}: ${h.outcome} ${h.detail ?? JSON.stringify(h.first ?? null)}`);
}

function bareSide(server: ServerProcess, token: string): Side {
  const url = endpoint(server);
  const message = connectionInit(token);
  return {
    label: 'bare graphql-ws',
    server,
    check: () => expectTick(url, message, 'bare graphql-ws'),
    request: async () => ({ kind: 'ws', url, message }),
  };
}

function authSide(server: ServerProcess, tokens: string[]): Side {
  const url = endpoint(server);
  return {
    label: 'graphql-ws + withSubscriptionAuth',
    server,
    async check() {
      // The first and the last of the pool are accepted, and their connection runs operations.
      for (const token of [tokens[0]!, tokens[tokens.length - 1]!]) await expectTick(url, connectionInit(token), 'a valid token');
      // A forged token, and none at all (requireAuth), are refused with 4401: the helper does verify.
      const forged = tokens[0]!.slice(0, -4) + (tokens[0]!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const [what, init] of [['a forged token', connectionInit(forged)], ['no token', connectionInit(undefined)]] as const) {
        const h = await handshake(url, init, { timeoutMs: CHECK_TIMEOUT_MS });
        assert(h.outcome === 'close 4401', `${what} got ${h.outcome} ${h.detail ?? ''}`);
      }
    },
    // One token: a fixed message, so the load process does no per-connection work the bare side skips.
    request: async () =>
      tokens.length === 1
        ? { kind: 'ws', url, message: connectionInit(tokens[0]) }
        : { kind: 'ws', url, message: connectionInit('{{pool}}'), pool: { values: tokens, mode: 'cycle' } },
  };
}

function subscriptionConnect(cache: 'hit' | 'miss'): Scenario {
  return {
    id: cache === 'hit' ? 'subscription-connect' : 'subscription-connect-miss',
    title: `GraphQL WebSocket connections with a token check, cache ${cache === 'hit' ? 'hits' : 'misses'}, ${ALG}`,
    prepare: (env) => [env.provider(ALG), env.authWs(ALG, env.config.missCacheSize), env.bareWs()],
    async run(env, s) {
      const [auth, bare, p] = await Promise.all([env.authWs(ALG, env.config.missCacheSize), env.bareWs(), env.provider(ALG)]);
      const tokens = cache === 'hit' ? [(await tokenRequest(p.issuer, p.ccAuthorization, { grant_type: 'client_credentials', scope: 'api' })).access_token!] : await tokenPool(env, ALG, env.config.missPoolSize);
      assert(cache === 'hit' || tokens.length > env.config.missCacheSize, 'the pool must be larger than the cache');
      // The acceptance sets a target on hits only; misses are reported for comparison.
      const result = await measurePair(this.id, this.title, authSide(auth, tokens), bareSide(bare, tokens[0]!), s, cache === 'hit' ? perCpuTarget(0.7) : undefined);
      result.notes.push(`a request is one WebSocket connection (upgrade, connection_init with a bearer token, connection_ack, close): req/s are connections per second, p50/p99 the time to the ack`);
      if (cache === 'miss') result.notes.push(`${tokens.length} distinct tokens cycled through an LRU of ${env.config.missCacheSize}: every connection verifies a signature`);
      return result;
    },
  };
}

export const subscriptionScenarios = [subscriptionConnect('hit'), subscriptionConnect('miss')];
