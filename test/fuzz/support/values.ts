/**
 * Parameter values: how they are encoded on the wire (text, raw text, raw bytes), the strings
 * that have broken parsers before, and the generators of junk values and odd URIs.
 */
import fc from 'fast-check';

/** A parameter value: text (percent-encoded when sent), raw text (sent as is) or raw bytes. */
export type Val = string | { raw: string } | { bytes: number[] };
export type Entry = [name: string, value: Val];

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, never a throw). */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function encodeVal(v: Val): string {
  if (typeof v === 'string') return pct(v);
  if ('raw' in v) return v.raw;
  return v.bytes.map((b) => `%${(b & 0xff).toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** `a=b&c=d`, in order, duplicates kept. */
export function encodeEntries(entries: Entry[]): string {
  return entries.map(([k, v]) => `${pct(k)}=${encodeVal(v)}`).join('&');
}

/** The text of a value, as the server would decode it (for JSON bodies and bookkeeping). */
export function textOf(v: Val): string {
  if (typeof v === 'string') return v;
  if ('raw' in v) {
    try {
      return decodeURIComponent(v.raw.replace(/\+/g, ' '));
    } catch {
      return v.raw;
    }
  }
  return Buffer.from(v.bytes).toString('utf8');
}

export function entriesOf(params: Record<string, string | undefined>): Entry[] {
  return Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
}

/** Strings that have broken parsers before. */
export const NASTY = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'null',
  'undefined',
  'true',
  '[object Object]',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  '%',
  '%00',
  '%zz',
  '%FF%FE',
  '%E2%82',
  '\uFFFD',
  '\uD800',
  '\uDFFF\uD800',
  '😀',
  'ä',
  'İ',
  'ß',
  '\u202E',
  '\u2028',
  '\r\n',
  '\n',
  '\t',
  '../../etc/passwd',
  '..%2F..%2F',
  'javascript:alert(1)',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  "\\'; --",
  '$1',
  '{"$gt":""}',
  '[]',
  '{}',
  '1e308',
  '-1',
  '0',
  '-0',
  '9007199254740993',
  '99999999999',
  'NaN',
  'Infinity',
  '0x10',
  '<script>alert(1)</script>',
  '"><img src=x>',
  '${7*7}',
  '{{7*7}}',
  '%s%s%s%n',
  'https://evil.example/cb',
  '//evil.example',
  '/\\evil.example',
  'http://localhost:1/',
  'a'.repeat(300),
  'b'.repeat(5000),
];

/** Anything a client might send as a value. */
export const junk: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);

/** One character that URL parsers drop, headers cannot carry, or that changes what a URI means. */
export const INJECT = ['\n', '\r', '\r\n', '\t', '\u0000', '\u000b', '\u007f', '\u0085', '\u00a0', '\u00e9', '\u00ff', '\u0100', '\u20ac', '\u2028', '\u202e', '\ufeff', '\ud83d\ude00', ' ', '#', '?', '&', '%', '%0a', '\\', '/', '//', '@', ';', ',', '"', "'", '<', '..'];

/** A URI: one of `bases`, or one with a character of INJECT put somewhere, or with junk appended. */
export function uriVariant(bases: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...bases) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...bases), fc.constantFrom(...INJECT), fc.nat()).map(([u, ch, n]) => u.slice(0, n % (u.length + 1)) + ch + u.slice(n % (u.length + 1))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...bases), junk).map(([u, j]) => u + j) },
  );
}
