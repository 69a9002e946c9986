/**
 * What the login throttle counts against (docs/SECURITY.md SE-04):
 * - the address, an IPv6 one per /64 (one subscriber's prefix: RFC 6177 §3 — counting single
 *   IPv6 addresses would give each attacker 2^64 budgets);
 * - the account, or — for a browser that has signed in to that account before — that browser's
 *   own budget, proven by a device cookie (OWASP's "device cookies" against lockout attacks): a
 *   guessing attack from elsewhere cannot lock the owner out, and a stolen cookie only brings its
 *   own, equally bounded, budget.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { safeEqual } from '../../util/safe-equal.js';

/** `address:<ip>` for IPv4, `address:<first four hextets>::/64` for IPv6 (IPv4-mapped ones as IPv4). */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped && isIPv4(mapped)) return `address:${mapped}`;
  if (!isIPv6(ip)) return `address:${ip}`;
  const [head, tail = ''] = ip.toLowerCase().split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `address:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** How long a browser keeps its own budget for an account after signing in (OWASP suggests months). */
export const DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600;

/** A device cookie for `username`: `<random id>.<HMAC(id, username)>`; it names no user. */
export function issueDeviceCookie(key: Buffer, username: string): string {
  const id = randomBytes(16).toString('base64url');
  return `${id}.${mac(key, id, username)}`;
}

/** The device id of a cookie issued for `username`, or undefined (absent, forged, another user's). */
export function deviceOf(key: Buffer, cookie: string | undefined, username: string): string | undefined {
  if (!cookie || cookie.length > 100) return undefined;
  const [id, sent] = cookie.split('.');
  return id && sent && safeEqual(sent, mac(key, id, username)) ? id : undefined;
}

function mac(key: Buffer, id: string, username: string): string {
  return createHmac('sha256', key).update(`${id}\0${username}`, 'utf8').digest('base64url');
}

/**
 * Counts one stored interaction (a pending sign-in or sign-out) for the address; the seconds to
 * wait when it is over INTERACTION_RATE_LIMIT, else 0. Anonymous requests that write rows are
 * bounded per address: the rows an attacker can make exist at once are limit × 10 minutes.
 */
export function spendInteraction(throttle: { retryAfter(key: string): number; fail(key: string): void } | undefined, ip: string): number {
  if (!throttle) return 0;
  const key = `interactions-${addressKey(ip)}`;
  const wait = throttle.retryAfter(key);
  if (wait === 0) throttle.fail(key);
  return wait;
}
