/**
 * Request bodies: the kinds a case may send (form, JSON and broken JSON, bytes, huge and
 * multipart bodies, none), the content types a client may claim, and `makeBody`.
 */
import fc from 'fast-check';
import { encodeEntries, textOf, type Entry } from './values.js';

export type BodyKind = 'form' | 'json' | 'jsonValues' | 'brokenJson' | 'deepJson' | 'jsonScalar' | 'bytes' | 'none' | 'hugeForm' | 'manyParams' | 'empty' | 'multipart';

export const bodyKind: fc.Arbitrary<BodyKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<BodyKind>('form') },
  { weight: 5, arbitrary: fc.constantFrom<BodyKind>('json', 'jsonValues', 'brokenJson', 'deepJson', 'jsonScalar', 'bytes', 'none', 'hugeForm', 'manyParams', 'empty', 'multipart') },
);

export const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=ISO-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded; charset=bogus',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencodedX',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-32',
  'application/json, application/x-www-form-urlencoded',
  'application/graphql-response+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'multipart/form-data; boundary=xyz',
  'application/graphql',
  'application/xml',
  '*/*',
  '',
  ';',
  'application/x-www-form-urlencoded;;;charset="utf-8',
];

/** A body of the given kind carrying `entries`, and the content type that goes with it. */
export function makeBody(kind: BodyKind, entries: Entry[], seed: number): { body?: string | Uint8Array; contentType?: string } {
  const form = encodeEntries(entries);
  const asObject = () => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const t = textOf(v);
      o[k] = k in o ? [o[k], t].flat() : t;
    }
    return o;
  };
  switch (kind) {
    case 'form':
      return { body: form, contentType: 'application/x-www-form-urlencoded' };
    case 'json':
      return { body: JSON.stringify(asObject()), contentType: 'application/json' };
    case 'jsonValues': {
      // Non-string values where strings belong: operator injection, arrays, numbers.
      const o = asObject();
      const keys = Object.keys(o);
      const odd: unknown[] = [{ $gt: '' }, [], ['a', 'b'], 1, 1e308, true, null, { toString: 'x' }, JSON.parse('{"__proto__":{"admin":true}}')];
      if (keys.length) o[keys[seed % keys.length]!] = odd[seed % odd.length];
      return { body: JSON.stringify(o), contentType: 'application/json' };
    }
    case 'brokenJson': {
      const text = JSON.stringify(asObject());
      return { body: text.slice(0, seed % Math.max(1, text.length)) + ['', '}', ',', '"', '\\', '\u0000'][seed % 6], contentType: 'application/json' };
    }
    case 'deepJson': {
      const depth = 500 + (seed % 20_000);
      return { body: `{"grant_type":${'['.repeat(depth)}${']'.repeat(depth)}}`, contentType: 'application/json' };
    }
    case 'jsonScalar':
      return { body: ['"text"', '1', 'null', 'true', '[]', '[1,2]', '""'][seed % 7]!, contentType: 'application/json' };
    case 'bytes':
      return { body: Uint8Array.from({ length: 1 + (seed % 300) }, (_, i) => (seed * 31 + i * 131) % 256), contentType: CONTENT_TYPES[seed % CONTENT_TYPES.length] };
    case 'none':
      return {};
    case 'empty':
      return { body: '', contentType: 'application/x-www-form-urlencoded' };
    case 'hugeForm':
      return { body: `${form}&pad=${'x'.repeat(70_000 + (seed % 50_000))}`, contentType: 'application/x-www-form-urlencoded' };
    case 'manyParams':
      return { body: `${form}&${Array.from({ length: 90 + (seed % 40) }, (_, i) => `p${i}=${i}`).join('&')}`, contentType: 'application/x-www-form-urlencoded' };
    case 'multipart': {
      const parts = entries.map(([k, v]) => `--xyz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${textOf(v)}\r\n`).join('');
      return { body: `${parts}--xyz--\r\n`, contentType: 'multipart/form-data; boundary=xyz' };
    }
  }
}
