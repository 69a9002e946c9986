/**
 * Counting failures per key (a username, a client id, an address) in a sliding window, to slow
 * down guessing (RFC 6819 §4.4.3.6, §5.1.4.2.3; SECURITY-CASES SE-04, TK-13). Kept in memory, per
 * instance: N instances allow N times the limit, still bounded. The number of tracked keys is
 * capped, oldest first, so a flood of random keys cannot exhaust memory.
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

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.options.limit) return 0;
    const oldest = recent[recent.length - this.options.limit]!;
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - this.options.clock.now()) / 1000));
  }

  fail(key: string): void {
    const recent = this.recent(key);
    recent.push(this.options.clock.now());
    this.failures.delete(key); // re-insert: Map order is the eviction order
    this.failures.set(key, recent.slice(-this.options.limit));
    const max = this.options.maxKeys ?? 100_000;
    while (this.failures.size > max) this.failures.delete(this.failures.keys().next().value!);
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
