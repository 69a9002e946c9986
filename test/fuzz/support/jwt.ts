/**
 * JWTs: recipes that mutate a real token (header, claims, signature, structure), re-signed with
 * the service's own keys where a recipe says so (so that mutants get past the signature), and
 * whether the result is genuine (a token that may be accepted) or a forgery.
 */
import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import type { SignatureAlg } from '../../../src/config/definitions.js';
import { ALGORITHMS } from '../../../src/keys/algorithms.js';
import { junk } from './values.js';

/** A key that signs like the service does (to re-sign mutated tokens: they get past the signature). */
export interface SigningKey {
  kid: string;
  alg: SignatureAlg;
  key: KeyObject;
  /** The public key as published (for the HS256-with-the-public-key confusion). */
  publicPem: string;
}

/** Signs `header.payload` (both already base64url) with a real key. */
export function signWith(key: SigningKey, input: string): string {
  const spec = ALGORITHMS[key.alg];
  return cryptoSign(spec.hash, Buffer.from(input), { key: key.key, ...spec.signOptions }).toString('base64url');
}

export interface JwtRecipe {
  pick: number;
  header: { kind: 'keep' | 'alg' | 'kid' | 'typ' | 'crit' | 'b64' | 'jku' | 'nonObject' | 'invalid' | 'drop'; v: number; s: string }[];
  payload: { kind: 'keep' | 'set' | 'delete' | 'nonObject' | 'invalid' | 'bom'; claim: string; v: number; json: unknown }[];
  signature: 'keep' | 'resign' | 'hmacPublic' | 'empty' | 'random' | 'flip' | 'other' | 'drop' | 'truncate';
  structure: 'none' | 'extraSegment' | 'twoSegments' | 'padding' | 'stdBase64' | 'truncate' | 'lower' | 'five' | 'space';
  s: string;
  n: number;
}

const ALGS = ['none', 'None', 'NONE', 'HS256', 'HS512', 'RS256', 'ES256', 'ES512', 'PS256', 'EdDSA', 'RSA-OAEP', 'dir', '', 'ES256 ', 1, null];
const TYPS = ['at+jwt', 'application/at+jwt', 'JWT', 'jwt', 'logout+jwt', 'application/logout+jwt', 'JOSE', 'at+JWT', '', 'x', 0];
const CLAIMS = ['exp', 'iat', 'nbf', 'iss', 'aud', 'sub', 'client_id', 'scope', 'jti', 'grant_id', 'azp', 'nonce', 'sid', 'events', 'auth_time', 'at_hash', 'acr', 'amr', 'typ', '__proto__', 'constructor'];

function claimValues(now: number, ids: readonly string[]): unknown[] {
  return [
    1e308,
    -1,
    0,
    2 ** 53 + 1,
    9e15,
    Number.MAX_SAFE_INTEGER,
    now + 3600,
    now - 3600,
    now + 10 * 365 * 86_400,
    now,
    String(now + 3600),
    'str',
    '',
    null,
    true,
    [],
    {},
    ['a', 'b'],
    'https://evil.example',
    'admin',
    'openid profile email admin offline_access',
    '00000000-0000-0000-0000-000000000000',
    'not-a-uuid',
    'x'.repeat(100),
    { $gt: '' },
    { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...ids,
  ];
}

export const jwtRecipe: fc.Arbitrary<JwtRecipe> = fc.record({
  pick: fc.nat(),
  header: fc.array(
    fc.record({ kind: fc.constantFrom('keep', 'alg', 'alg', 'kid', 'typ', 'crit', 'b64', 'jku', 'nonObject', 'invalid', 'drop'), v: fc.nat(), s: junk }),
    { maxLength: 2 },
  ),
  payload: fc.array(
    fc.record({
      kind: fc.constantFrom('keep', 'set', 'set', 'set', 'delete', 'nonObject', 'invalid', 'bom'),
      claim: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...CLAIMS) }, fc.string({ maxLength: 8 })),
      v: fc.nat(),
      json: fc.jsonValue({ maxDepth: 3 }),
    }),
    { maxLength: 3 },
  ),
  signature: fc.constantFrom('keep', 'keep', 'resign', 'resign', 'resign', 'hmacPublic', 'empty', 'random', 'flip', 'other', 'drop', 'truncate'),
  structure: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, fc.constantFrom('extraSegment', 'twoSegments', 'padding', 'stdBase64', 'truncate', 'lower', 'five', 'space')),
  s: junk,
  n: fc.nat(),
});

export interface Mutant {
  token: string;
  /**
   * Whether the result is a token the service issued, or one signed with its real key: only
   * such tokens may be accepted. Everything else is a forgery.
   */
  genuine: boolean;
}

/** A token's header or payload as the recipe leaves it: a JSON value, or raw bytes instead. */
interface Part {
  value: unknown;
  raw?: Buffer;
  changed: boolean;
}

/** What one edit does: changes the object in place (undefined), replaces the value, or puts bytes in place of JSON. */
type Edit = undefined | { value: unknown } | { raw: Buffer };

/** Decodes a base64url JSON segment and applies the recipe's edits to it (`keep` leaves it alone). */
function editPart<Op extends { kind: string }>(segment: string, ops: readonly Op[], edit: (obj: Record<string, unknown>, op: Op) => Edit): Part {
  const part: Part = { value: JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')), changed: false };
  for (const op of ops) {
    if (op.kind === 'keep') continue;
    part.changed = true;
    const v = part.value;
    const obj = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
    const result = edit(obj, op);
    if (result === undefined) part.value = obj;
    else if ('raw' in result) part.raw = result.raw;
    else part.value = result.value;
  }
  return part;
}

function editHeader(obj: Record<string, unknown>, op: JwtRecipe['header'][number], keys: readonly SigningKey[]): Edit {
  switch (op.kind) {
    case 'alg':
      obj.alg = ALGS[op.v % ALGS.length];
      break;
    case 'kid':
      obj.kid = [op.s, '', 123, null, '../../../../dev/null', "' or 1=1 --", keys[op.v % Math.max(1, keys.length)]?.kid ?? 'x'][op.v % 7];
      break;
    case 'typ':
      obj.typ = TYPS[op.v % TYPS.length];
      break;
    case 'crit':
      obj.crit = [['exp'], ['b64'], [], 'b64', [op.s], ['kid', 'kid']][op.v % 6];
      break;
    case 'b64':
      obj.b64 = false;
      obj.crit = ['b64'];
      break;
    case 'jku':
      Object.assign(obj, [{ jku: 'https://evil.example/jwks' }, { jwk: { kty: 'oct', k: 'AAAA' } }, { x5u: 'https://evil.example/x5u' }, { x5c: ['AAAA'] }, { zip: 'DEF' }, { enc: 'A128GCM' }][op.v % 6]);
      break;
    case 'drop':
      delete obj[['alg', 'kid', 'typ'][op.v % 3]!];
      break;
    case 'nonObject':
      return { value: [[], 'JWT', 1, null, true][op.v % 5] };
    case 'invalid':
      return { raw: Buffer.from(['{', '{"alg":"ES256",', '\u0000', '{"alg":"ES256","alg":"none"}', '\uFEFF{"alg":"ES256"}', ''][op.v % 6]!, 'utf8') };
  }
  return undefined;
}

function editPayload(obj: Record<string, unknown>, op: JwtRecipe['payload'][number], values: readonly unknown[]): Edit {
  switch (op.kind) {
    case 'set':
      obj[op.claim] = op.v % 4 === 3 ? op.json : values[op.v % values.length];
      break;
    case 'delete':
      delete obj[op.claim];
      break;
    case 'nonObject':
      return { value: [[], 'text', 1, null, true, [obj]][op.v % 6] };
    case 'invalid':
      return { raw: Buffer.from(['{', '{"sub":', '\u0000', '', 'null'][op.v % 5]!, 'utf8') };
    case 'bom':
      return { raw: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(obj))]) };
  }
  return undefined;
}

/** A mutated version of one of `tokens`, per the recipe. */
export function applyJwtRecipe(r: JwtRecipe, tokens: readonly string[], keys: readonly SigningKey[], ids: readonly string[]): Mutant {
  const original = tokens[r.pick % tokens.length]!;
  const [h0, p0, s0] = original.split('.') as [string, string, string];
  const now = Math.floor(Date.now() / 1000);
  const values = claimValues(now, ids);
  const header = editPart(h0, r.header, (obj, op) => editHeader(obj, op, keys));
  const payload = editPart(p0, r.payload, (obj, op) => editPayload(obj, op, values));
  const changed = header.changed || payload.changed;
  const encode = (part: Part, segment: string) => (changed ? (part.raw ?? Buffer.from(JSON.stringify(part.value) ?? 'null')).toString('base64url') : segment);
  const h = encode(header, h0);
  const p = encode(payload, p0);
  // Re-encoding without a change yields the same bytes; with one, the old signature is void.
  const sameContent = h === h0 && p === p0;
  const input = `${h}.${p}`;
  const headerObj = (typeof header.value === 'object' && header.value !== null ? header.value : {}) as Record<string, unknown>;
  const realKey = keys.find((k) => k.kid === headerObj.kid && k.alg === headerObj.alg) ?? keys[r.n % Math.max(1, keys.length)];
  let sig = s0;
  let genuine = sameContent;
  switch (r.signature) {
    case 'keep':
      break;
    case 'resign':
      if (realKey && !header.raw) {
        // Signed by the service's own key, with the alg and kid the header names: a token it
        // could have issued itself (only the right alg/kid pair verifies).
        sig = signWith(realKey, input);
        genuine = headerObj.alg === realKey.alg && headerObj.kid === realKey.kid;
      }
      break;
    case 'hmacPublic':
      sig = createHmac('sha256', realKey?.publicPem ?? 'secret').update(input).digest('base64url');
      genuine = false;
      break;
    case 'empty':
      sig = '';
      genuine = false;
      break;
    case 'random':
      sig = Buffer.from(r.s || 'x').toString('base64url');
      genuine = false;
      break;
    case 'flip': {
      const bytes = Buffer.from(s0, 'base64url');
      if (bytes.length) bytes[r.n % bytes.length]! ^= 1 << r.n % 8;
      sig = bytes.toString('base64url');
      genuine = false;
      break;
    }
    case 'other': {
      const other = tokens[(r.pick + 1 + (r.n % tokens.length)) % tokens.length]!.split('.')[2]!;
      genuine = genuine && other === s0;
      sig = other;
      break;
    }
    case 'drop':
      sig = '';
      genuine = false;
      break;
    case 'truncate':
      sig = s0.slice(0, r.n % Math.max(1, s0.length));
      genuine = false;
      break;
  }
  let token = `${input}.${sig}`;
  switch (r.structure) {
    case 'none':
      break;
    case 'extraSegment':
      token = `${token}.${Buffer.from(r.s).toString('base64url')}`;
      break;
    case 'twoSegments':
      token = input;
      break;
    case 'padding':
      token = `${h}=.${p}==.${sig}=`;
      break;
    case 'stdBase64':
      token = `${h}.${p}.${sig}`.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(`${h}${p}${sig}`) ? '' : '+/');
      break;
    case 'truncate':
      token = token.slice(0, r.n % Math.max(1, token.length - 1));
      break;
    case 'lower':
      token = token.toLowerCase() === token ? `${token}A` : token.toLowerCase();
      break;
    case 'five':
      token = `${input}.${sig}.AAAA.BBBB`;
      break;
    case 'space':
      token = `${h}. ${p}.${sig}`;
      break;
  }
  if (r.structure !== 'none') genuine = false;
  return { token, genuine };
}

/** The claims of a JWT, unverified (undefined when it has none). */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
