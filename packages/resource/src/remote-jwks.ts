/**
 * A provider's JWK Set, fetched over HTTP and kept fresh the way the provider asks.
 *
 * jose's `createRemoteJWKSet` keeps a set for a fixed time and refetches on an unknown `kid` at
 * most once per cooldown. A provider that rotates keys publishes the next key ahead of use and
 * says for how long its set may be cached (`Cache-Control: max-age`, RFC 9111 §5.2.2.1); a
 * verifier that ignores that sees the new key only when a token signed by it arrives, and then
 * refuses it for the rest of its cooldown. This set is refreshed in the background once it is
 * older than the provider's `max-age`, so a pre-published key is known before it signs, and
 * refetched on an unknown `kid` at most once per cooldown (no amplification from random kids:
 * docs/SECURITY.md JW-20, JW-21).
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { bodyWithin } from './deadline.js';

export interface RemoteKeySetOptions {
  /** Timeout of one fetch, ms. */
  timeout: number;
  /** Least time between two fetches caused by unknown `kid`s, ms. */
  cooldown: number;
  /** Upper bound of the provider's `max-age`, and the age used when it sends none, ms (default 600 000). */
  maxCacheAge?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Default: Date.now. */
  now?: () => number;
}

/** Shortest honoured `max-age`, ms: a provider asking for 0 must not turn every request into a fetch. */
const MIN_CACHE_AGE = 1000;

interface Loaded {
  getKey: JWTVerifyGetKey;
  fetchedAt: number;
  maxAge: number;
  /**
   * The keys this set gave, by `alg` and then `kid` (undefined: none named). jose's choice depends
   * on nothing else of a compact JWS header, and a set never changes once loaded (a new one is a
   * new Loaded): the next token of the same key gets it without a search and an import lookup.
   */
  chosen: Map<unknown, Map<unknown, Awaited<ReturnType<JWTVerifyGetKey>>>>;
}

export class RemoteKeySetError extends Error {
  readonly code = 'ERR_JWKS_UNAVAILABLE';
}

/** `max-age` of a Cache-Control header in ms, or undefined (no-store/no-cache count as 0). */
export function cacheMaxAge(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/(^|,)\s*no-(store|cache)\b/i.test(header)) return 0;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,9})"?/i.exec(header);
  return m ? Number(m[1]) * 1000 : undefined;
}

export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  const maxCacheAge = options.maxCacheAge ?? 600_000;
  const { fetch: get = globalThis.fetch, now = Date.now } = options;
  let current: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  let lastAttempt = -Infinity;

  async function load(): Promise<Loaded> {
    lastAttempt = now();
    const signal = AbortSignal.timeout(options.timeout);
    const res = await get(url, { headers: { accept: 'application/jwk-set+json, application/json' }, redirect: 'error', signal });
    if (res.status !== 200) throw new RemoteKeySetError(`the JWKS at ${url.href} answered HTTP ${res.status}`);
    // Bounded by the same timeout: a body that never finishes must not hold `loading` for good.
    const body = (await bodyWithin(res.json(), signal).catch(() => undefined)) as JSONWebKeySet | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.keys)) throw new RemoteKeySetError(`the JWKS at ${url.href} is not a JWK Set`);
    const age = cacheMaxAge(res.headers.get('cache-control')) ?? maxCacheAge;
    return { getKey: createLocalJWKSet(body), fetchedAt: now(), maxAge: Math.min(Math.max(age, MIN_CACHE_AGE), maxCacheAge), chosen: new Map() };
  }

  /** One fetch at a time; a failed one leaves the previous set in place. */
  function refresh(): Promise<Loaded> {
    loading ??= load()
      .then((loaded) => (current = loaded))
      .finally(() => (loading = undefined));
    return loading;
  }

  /** Stale: keep verifying with what we have while the next set loads (a failure is retried on the next request that finds the set stale, after the cooldown). */
  function refreshIfStale(set: Loaded): void {
    if (now() - set.fetchedAt >= set.maxAge && !loading) {
      if (now() - lastAttempt >= Math.min(options.cooldown, set.maxAge)) refresh().catch(() => undefined);
    }
  }

  async function search(header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) {
    const set = current ?? (await refresh());
    refreshIfStale(set);
    try {
      return remember(set, header, token, await set.getKey(header, token));
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
      // A load already under way may bring the key; otherwise fetch once per cooldown.
      if (!loading && now() - lastAttempt < options.cooldown) throw e;
      const fresh = await (loading ?? refresh());
      return remember(fresh, header, token, await fresh.getKey(header, token));
    }
  }

  // The key of a token signed as the last one was, at once; anything else is searched for.
  return (header, token) => {
    const set = current;
    const key = set?.chosen.get(header.alg)?.get(header.kid);
    if (!set || key === undefined || token?.header !== undefined) return search(header, token);
    refreshIfStale(set);
    return key;
  };
}

function remember<K>(set: Loaded, header: { alg?: unknown; kid?: unknown }, token: { header?: unknown } | undefined, key: K): K {
  if (token?.header === undefined && typeof header.alg === 'string' && (header.kid === undefined || typeof header.kid === 'string')) {
    let byKid = set.chosen.get(header.alg);
    if (!byKid) set.chosen.set(header.alg, (byKid = new Map()));
    byKid.set(header.kid, key as never);
  }
  return key;
}
