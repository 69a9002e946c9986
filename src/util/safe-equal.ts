/**
 * Comparison of secrets (CSRF tokens, digests, client secrets) in time that does not depend on
 * where they differ. An empty value never matches: an unset secret must not equal an unsent one.
 */
import { timingSafeEqual } from 'node:crypto';

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}
