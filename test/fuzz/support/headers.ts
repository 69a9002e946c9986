/**
 * Request headers: a plan of what to change (content type and encoding, Authorization with real
 * or broken credentials, cookies, Origin, extra headers) and `applyHeaders`, which carries it out.
 */
import fc from 'fast-check';
import { CONTENT_TYPES } from './bodies.js';
import { junk } from './values.js';

/** A header value fetch can carry (tab, visible ASCII and Latin-1; no other control characters). */
export function headerSafe(s: string): string {
  return [...s].filter((c) => /^[\t\x20-\x7e\x80-\xff]$/.test(c)).join('').trim();
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export interface HeaderPlan {
  contentType: 'keep' | 'drop' | number;
  contentEncoding?: number;
  authorization: { kind: 'none' | 'keep' | 'basic' | 'basicJunk' | 'bearer' | 'scheme' | 'raw'; s: string; n: number };
  cookie?: { kind: 'junk' | 'dup' | 'append'; s: string; n: number };
  origin?: number;
  extra: [string, string][];
}

const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'bogus', 'gzip, gzip', 'compress'];
const ORIGINS = ['null', 'https://evil.example', 'http://localhost:5173', 'https://rp.example', 'file://', '*', 'http://127.0.0.1', 'https://rp.example.evil.example'];
const BASIC_JUNK = ['Basic', 'Basic ', 'Basic ====', 'Basic !!!!', 'Basic Og==', 'Basic OjpaOg', 'basic   ', `Basic ${b64('no-colon')}`, `Basic ${b64('%zz:%zz')}`, `Basic ${b64('a:%')}`, `Basic ${b64(':')}`, `Basic ${b64('\u0000:\u0000')}`, `Basic ${'QUFB'.repeat(3000)}`, 'Basic a b', 'Basic\tYTpi'];
const SCHEMES = ['Bearer', 'bearer', 'BEARER', 'Bearer  ', 'Digest', 'Negotiate', 'DPoP', 'Token', 'MAC', 'Basic'];

export const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record({
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant<'keep'>('keep') }, fc.constant<'drop'>('drop'), fc.nat(CONTENT_TYPES.length - 1)),
  contentEncoding: fc.option(fc.nat(ENCODINGS.length - 1), { nil: undefined, freq: 8 }),
  authorization: fc.record({ kind: fc.constantFrom('none', 'keep', 'keep', 'keep', 'basic', 'basicJunk', 'bearer', 'scheme', 'raw'), s: junk, n: fc.nat() }),
  cookie: fc.option(fc.record({ kind: fc.constantFrom('junk', 'dup', 'append'), s: junk, n: fc.nat() }), { nil: undefined, freq: 3 }),
  origin: fc.option(fc.nat(ORIGINS.length - 1), { nil: undefined, freq: 3 }),
  extra: fc.array(fc.tuple(fc.constantFrom('accept', 'accept-language', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'if-none-match', 'range', 'x-http-method-override', 'x-request-id', 'apollo-require-preflight', 'access-control-request-method', 'access-control-request-headers', 'referer', 'user-agent', 'forwarded'), junk), { maxLength: 2 }),
});

/**
 * The headers of a request: `base` (with its content type and authorization) changed as the
 * plan says. `pool` offers plausible credentials (real client ids and secrets, tokens).
 */
export function applyHeaders(base: Record<string, string | undefined>, plan: HeaderPlan, pool: { ids: readonly string[]; secrets: readonly string[]; tokens: readonly string[] }): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) h[k.toLowerCase()] = v;
  if (plan.contentType === 'drop') delete h['content-type'];
  else if (typeof plan.contentType === 'number') h['content-type'] = CONTENT_TYPES[plan.contentType]!;
  if (plan.contentEncoding !== undefined) h['content-encoding'] = ENCODINGS[plan.contentEncoding]!;
  const { kind, s, n } = plan.authorization;
  const pick = <T>(list: readonly T[]) => list[n % Math.max(1, list.length)];
  switch (kind) {
    case 'none':
      delete h.authorization;
      break;
    case 'keep':
      break;
    case 'basic': {
      const id = n % 3 === 0 ? s : (pick(pool.ids) ?? s);
      const secret = n % 5 === 0 ? s : (pick(pool.secrets) ?? s);
      const enc = n % 2 ? encodeURIComponent : (x: string) => x;
      h.authorization = `Basic ${Buffer.from(`${safeEncode(enc, id)}:${safeEncode(enc, secret)}`).toString('base64')}`;
      break;
    }
    case 'basicJunk':
      h.authorization = pick(BASIC_JUNK)!;
      break;
    case 'bearer':
      h.authorization = `Bearer ${n % 4 === 0 ? s : (pick(pool.tokens) ?? s)}`;
      break;
    case 'scheme':
      h.authorization = `${pick(SCHEMES)} ${s}`;
      break;
    case 'raw':
      h.authorization = s;
      break;
  }
  if (plan.cookie) {
    const { kind: ck, s: cs, n: cn } = plan.cookie;
    const junkCookie = [cs, `${cs}=${cs}`, ';;;', '=', 'a=%zz', 'a="x', `jwt-oidc.session=${cs}`, `jwt-oidc.interaction=${cs}`, `jwt-oidc.rp=${cs}`, `__Host-x=${cs}`, `${'c'.repeat(4000)}=1`][cn % 11]!;
    if (ck === 'junk') h.cookie = junkCookie;
    else if (ck === 'dup' && h.cookie) h.cookie = `${junkCookie}; ${h.cookie}; ${h.cookie}`;
    else h.cookie = h.cookie ? `${h.cookie}; ${junkCookie}` : junkCookie;
  }
  if (plan.origin !== undefined) h.origin = ORIGINS[plan.origin]!;
  for (const [k, v] of plan.extra) h[k] = v;
  for (const k of Object.keys(h)) {
    h[k] = headerSafe(h[k]!);
    if (h[k].length > 12_000) h[k] = h[k].slice(0, 12_000);
  }
  return h;
}

function safeEncode(enc: (s: string) => string, s: string): string {
  try {
    return enc(s);
  } catch {
    return s;
  }
}
