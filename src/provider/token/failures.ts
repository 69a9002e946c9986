/**
 * Failures at the token endpoint, per address (an IPv6 one per /64): wrong client credentials,
 * guessed codes and refresh tokens, grants a client may not use (RFC 6819 §5.1.4.2.3; docs/
 * SECURITY.md TK-13). Counted in this instance's memory — checked before every request without
 * a database round trip — and in PostgreSQL, whose count over every instance this instance then
 * enforces: N instances admit at most `limit + N - 1` failures per window from one address (each
 * learns of the others' at its own first one). Failures never lock out a client: its id is
 * public, and right credentials from another address are not refused.
 */
import type { ProviderContext } from '../context.js';
import { addressKey } from '../throttle/login-keys.js';

const keyOf = (ip: string) => `token-${addressKey(ip)}`;

/** Seconds this address must wait; 0 when it may try. */
export function tokenRetryAfter(ctx: Pick<ProviderContext, 'throttles'>, ip: string): number {
  return ctx.throttles.address.retryAfter(keyOf(ip));
}

export async function countTokenFailure(ctx: Pick<ProviderContext, 'throttles' | 'failures'>, ip: string): Promise<void> {
  const key = keyOf(ip);
  ctx.throttles.address.fail(key);
  ctx.throttles.address.atLeast(key, await ctx.failures.record(key));
}
