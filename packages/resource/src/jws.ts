/**
 * The signature check of a compact JWS (RFC 7515 §5.2) for the hot path of every API request,
 * with node:crypto's one-shot verify. Keys still come from jose (a key set selects and imports
 * them, never from the token: RFC 8725 §3.10); only the signature math moves off WebCrypto, whose
 * per-call hand-off to the thread pool costs more than an ES256 verification itself.
 *
 * Refused before any key is touched: an algorithm outside the allow-list, a `crit` header (we
 * implement no extension, RFC 7515 §4.1.11), `b64` (RFC 7797). Refused after: a key of another
 * type or curve than the algorithm names, RSA under 2048 bits (RFC 7518 §3.3), an ECDSA signature
 * of the wrong length (RFC 7518 §3.4).
 */
import { isUtf8 } from 'node:buffer';
import { constants, KeyObject, verify } from 'node:crypto';
import type { CompactJWSHeaderParameters, JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';

/** Which check failed, so that a caller can tell its client in its own words (RFC 6750 §3.1). */
export type JwsFailure = 'json' | 'alg' | 'extension' | 'key' | 'signature';

export class JwsInvalid extends Error {
  readonly code = 'ERR_JWS_INVALID';
  constructor(
    message: string,
    readonly reason: JwsFailure,
  ) {
    super(message);
  }
}

/** What a key and a signature must be for one JWS algorithm. */
export interface JwsAlgorithmSpec {
  /** The digest; `null` for EdDSA, which hashes internally (RFC 8032 §5.1). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** What the key must be: node's asymmetricKeyType values. */
  types: readonly string[];
  /** EC: the curve; its coordinate size fixes the signature length (RFC 7518 §3.4). */
  curve?: { name: string; bytes: number };
  /** RSASSA-PSS with MGF1 and a salt as long as the hash (RFC 7518 §3.5). */
  pss?: boolean;
}

const RSA = ['rsa'];
const TABLE = {
  ES256: { hash: 'sha256', types: ['ec'], curve: { name: 'prime256v1', bytes: 32 } },
  ES384: { hash: 'sha384', types: ['ec'], curve: { name: 'secp384r1', bytes: 48 } },
  ES512: { hash: 'sha512', types: ['ec'], curve: { name: 'secp521r1', bytes: 66 } },
  RS256: { hash: 'sha256', types: RSA },
  RS384: { hash: 'sha384', types: RSA },
  RS512: { hash: 'sha512', types: RSA },
  PS256: { hash: 'sha256', types: ['rsa', 'rsa-pss'], pss: true },
  PS384: { hash: 'sha384', types: ['rsa', 'rsa-pss'], pss: true },
  PS512: { hash: 'sha512', types: ['rsa', 'rsa-pss'], pss: true },
  EdDSA: { hash: null, types: ['ed25519', 'ed448'] },
} satisfies Record<string, JwsAlgorithmSpec>;

export type AsymmetricAlgorithm = keyof typeof TABLE;

/**
 * The JWS algorithms of jwt-oidc (RFC 7518 §3.3–3.5, RFC 8037 §3.1), the one table every list of
 * them derives from: resource servers accept all of them by default, the provider signs with
 * those its settings name. Asymmetric only: an HMAC "verified" with a public key is the classic
 * confusion (RFC 8725 §3.1), and `none` is no signature at all (RFC 8725 §2.1).
 */
export const JWS_ALGORITHMS: Readonly<Record<AsymmetricAlgorithm, JwsAlgorithmSpec>> = TABLE;

/** The names of JWS_ALGORITHMS, in its order. */
export const ASYMMETRIC_ALGORITHMS = Object.keys(TABLE) as readonly string[] as readonly [AsymmetricAlgorithm, ...AsymmetricAlgorithm[]];

const keyObjects = new WeakMap<object, KeyObject>();
/** The algorithms each key was found to fit (a KeyObject's type and curve never change). */
const fits = new WeakMap<KeyObject, Set<string>>();

function keyObject(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  if (key instanceof CryptoKey) {
    let k = keyObjects.get(key);
    if (!k) keyObjects.set(key, (k = KeyObject.from(key)));
    return k;
  }
  throw new JwsInvalid('the key source returned no usable key', 'key');
}

function decodeJson(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    const bytes = Buffer.from(segment, 'base64url');
    // Invalid UTF-8 is an error, not U+FFFD (RFC 7519 §7.2 step 8; docs/SECURITY.md JW-15); a
    // byte-order mark stays in the text, where JSON.parse refuses it.
    if (!isUtf8(bytes)) throw new TypeError('not UTF-8');
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new JwsInvalid('a JWS segment is not JSON', 'json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JwsInvalid('a JWS segment is not a JSON object', 'json');
  return value as Record<string, unknown>;
}

/**
 * Verifies the signature of a compact JWS whose payload is a JSON object (a JWT) and returns its
 * header and claims, unchecked. The caller has checked the compact form (verifier.ts).
 */
export async function verifyJwsSignature(token: string, getKey: JWTVerifyGetKey, algorithms: readonly string[]): Promise<{ header: ProtectedHeaderParameters; payload: JWTPayload }> {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = decodeJson(h) as ProtectedHeaderParameters;
  const alg = header.alg;
  const spec = typeof alg === 'string' && algorithms.includes(alg) && Object.hasOwn(JWS_ALGORITHMS, alg) ? JWS_ALGORITHMS[alg as AsymmetricAlgorithm] : undefined;
  if (!spec) throw new JwsInvalid('the algorithm is not allowed', 'alg');
  if (header.crit !== undefined || 'b64' in header) throw new JwsInvalid('JWS extensions are not supported', 'extension');

  const key = keyObject(await getKey(header as CompactJWSHeaderParameters, { payload: p, signature: s }));
  if (!fits.get(key)?.has(alg as string)) {
    const type = key.asymmetricKeyType ?? '';
    if (key.type !== 'public' || !spec.types.includes(type)) throw new JwsInvalid('the key does not fit the algorithm', 'key');
    const details = key.asymmetricKeyDetails ?? {};
    if (spec.curve && details.namedCurve !== spec.curve.name) throw new JwsInvalid('the key does not fit the algorithm', 'key');
    if (type.startsWith('rsa') && (details.modulusLength ?? 0) < 2048) throw new JwsInvalid('the RSA key is too short', 'key');
    let algs = fits.get(key);
    if (!algs) fits.set(key, (algs = new Set()));
    algs.add(alg as string);
  }

  const signature = Buffer.from(s, 'base64url');
  if (spec.curve && signature.length !== 2 * spec.curve.bytes) throw new JwsInvalid('the signature has the wrong length', 'signature');
  const data = Buffer.from(`${h}.${p}`, 'ascii');
  const ok = spec.curve
    ? verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
    : spec.pss
      ? verify(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature)
      : verify(spec.hash, data, key, signature);
  if (!ok) throw new JwsInvalid('the signature does not verify', 'signature');
  return { header, payload: decodeJson(p) as JWTPayload };
}
