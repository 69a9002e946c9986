/**
 * The keys of `private_key_jwt` clients that publish them at a `jwks_uri`, cached per URI on
 * each instance. A set is kept as long as its response's HTTP caching allows (RFC 9111
 * `Cache-Control: max-age`, else `Expires`), but never less than a floor — a server saying
 * `no-store` is not fetched on every token request — nor more than a ceiling, so that a key the
 * client withdrew stops working within it. An assertion whose `kid` the cached set lacks (the
 * client rotated its keys) refetches the set, at most once per interval per URI, so that
 * assertions with made-up `kid`s cannot make the provider hammer the client's server
 * (docs/SECURITY.md section V; README "Client authentication"). Parallel misses share one fetch.
 */
import type { Clock } from '../../clock.js';
import { checkJwks, MAX_JWKS_BYTES, type PublicJwkSet } from '../../clients/jwks.js';
import { cacheLifetime } from '../../util/safe-fetch.js';
import { fetchJwks, JwksFetchError, type JwksLookup, type JwksResponse } from './jwks-fetch.js';

/** Bounds of a cached set's life, the default without caching headers, and the refetch interval (ms). */
export const JWKS_CACHE = { floorMs: 60_000, ceilingMs: 24 * 3600_000, defaultMs: 3600_000, refetchIntervalMs: 60_000, maxEntries: 1000 } as const;

export interface ClientJwksOptions {
  clock: Clock;
  allowLoopback: boolean;
  timeoutMs: number;
  maxBytes?: number;
  lookup?: JwksLookup;
}

interface Entry {
  jwks: PublicJwkSet;
  expiresAt: number;
}

export class ClientJwks {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  /** When each URI was last fetched again for an unknown key. */
  private readonly refetchedAt = new Map<string, number>();

  constructor(private readonly options: ClientJwksOptions) {}

  /** The set at `uri`: the cached one while fresh, else fetched. */
  async get(uri: string): Promise<PublicJwkSet> {
    const entry = this.entries.get(uri);
    if (entry && entry.expiresAt > this.options.clock.now()) return entry.jwks;
    return (await this.fetch(uri)).jwks;
  }

  /**
   * The set fetched again because a key was not found in it — or undefined when that was done
   * for this URI less than the refetch interval ago (the cached set stands).
   */
  async refetch(uri: string): Promise<PublicJwkSet | undefined> {
    const now = this.options.clock.now();
    const last = this.refetchedAt.get(uri);
    if (last !== undefined && now - last < JWKS_CACHE.refetchIntervalMs) return undefined;
    this.refetchedAt.delete(uri);
    this.refetchedAt.set(uri, now);
    if (this.refetchedAt.size > JWKS_CACHE.maxEntries) this.refetchedAt.delete(this.refetchedAt.keys().next().value!);
    return (await this.fetch(uri)).jwks;
  }

  private fetch(uri: string): Promise<Entry> {
    let pending = this.inflight.get(uri);
    if (!pending) {
      pending = this.load(uri).finally(() => this.inflight.delete(uri));
      this.inflight.set(uri, pending);
    }
    return pending;
  }

  private async load(uri: string): Promise<Entry> {
    const response = await fetchJwks(uri, { allowLoopback: this.options.allowLoopback, timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxBytes ?? MAX_JWKS_BYTES, lookup: this.options.lookup });
    let jwks: PublicJwkSet;
    try {
      jwks = checkJwks(response.body, { registered: false });
    } catch (e) {
      throw new JwksFetchError('json', `the jwks_uri's JWK Set: ${(e as Error).message}`);
    }
    const now = this.options.clock.now();
    const entry = { jwks, expiresAt: now + lifetime(response.headers) };
    this.entries.delete(uri);
    this.entries.set(uri, entry);
    // The oldest entry goes first: a Map keeps insertion order.
    if (this.entries.size > JWKS_CACHE.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}

/** How long a response may be used (RFC 9111 §4.2.1), within the floor and the ceiling. */
export function lifetime(headers: JwksResponse['headers']): number {
  return cacheLifetime(headers, { floorMs: JWKS_CACHE.floorMs, ceilingMs: JWKS_CACHE.ceilingMs, defaultMs: JWKS_CACHE.defaultMs });
}
