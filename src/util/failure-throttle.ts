/**
 * Counting failures per key (a username, a client id, an address) in a sliding window, to slow
 * down guessing (RFC 6819 §4.4.3.6, §5.1.4.2.3; docs/SECURITY.md SE-04, TK-13), and request rates
 * (TOKEN_RATE_LIMIT, GRAPHQL_RATE_LIMIT). Kept in memory, per instance; the provider's failure
 * throttles also record each failure in PostgreSQL and raise this count to what every instance
 * saw (`atLeast`). The number of tracked keys is capped, oldest first, so a flood of random keys
 * cannot exhaust memory.
 */
import type { Clock } from '../clock.js';

export interface ThrottleOptions {
  limit: number;
  windowMs: number;
  clock: Clock;
  /** Most keys tracked at once (default 100 000). */
  maxKeys?: number;
}

export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: ThrottleOptions) {}

  /**
   * Seconds until `key` may spend `cost` more (one attempt, or the fields of an operation);
   * 0 when it may now. A cost above the limit never fits: Infinity.
   */
  retryAfter(key: string, cost = 1): number {
    if (cost > this.options.limit) return Number.POSITIVE_INFINITY;
    const recent = this.recent(key);
    if (recent.length + cost <= this.options.limit) return 0;
    // Wait until enough of the oldest events have left the window.
    const freeing = recent[recent.length + cost - this.options.limit - 1]!;
    return Math.max(1, Math.ceil((freeing + this.options.windowMs - this.options.clock.now()) / 1000));
  }

  /** Counts `count` events for `key` now (failures, or fields of a GraphQL operation). */
  fail(key: string, count = 1): void {
    const recent = this.recent(key);
    const now = this.options.clock.now();
    for (let i = 0; i < Math.min(count, this.options.limit); i++) recent.push(now);
    this.failures.delete(key); // re-insert: Map order is the eviction order
    this.failures.set(key, recent.slice(-this.options.limit));
    const max = this.options.maxKeys ?? 100_000;
    while (this.failures.size > max) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Makes `key` count at least `count` events (what other instances saw too). */
  atLeast(key: string, count: number): void {
    const missing = Math.min(count, this.options.limit) - this.recent(key).length;
    if (missing > 0) this.fail(key, missing);
  }

  /** A success clears the key (a user who finally typed the right password). */
  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.options.clock.now() - this.options.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
