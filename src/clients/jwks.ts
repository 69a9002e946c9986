/**
 * A `private_key_jwt` client's keys (RFC 7523 §2.2; OIDC Core §9): a JWK Set (RFC 7517 §5) of
 * public signing keys, registered inline (`jwks`) or published at a `jwks_uri` (RFC 7591 §2).
 * A private member (`d`, the RSA primes, `k`) is refused, never stored or used: a set that shows
 * a private key has leaked it (docs/SECURITY.md CA-02). Symmetric keys (`oct`) are refused too:
 * client authentication with keys is asymmetric only here.
 */
import { createPublicKey } from 'node:crypto';
import { SIGNATURE_ALGS } from '../config/definitions.js';
import { MAX_URI_LENGTH } from './redirect-uri.js';

export interface PublicJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}
export interface PublicJwkSet {
  keys: PublicJwk[];
}

/** The most keys a set may hold, and its largest serialization (a registered or a fetched one). */
export const MAX_JWKS_KEYS = 20;
export const MAX_JWKS_BYTES = 64 * 1024;

/** Members that only a private or a symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const CURVES: Record<string, readonly string[]> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519', 'Ed448'] };
const MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

export class JwksProblem extends Error {}

/**
 * The set, checked: public signing keys only. `registered`: a set an administrator gives, where
 * every key must be usable; a fetched set (`registered: false`) may also hold keys for other
 * uses (`use: "enc"`, other types), which are left out — but a private member anywhere refuses
 * the whole set.
 */
export function checkJwks(value: unknown, { registered }: { registered: boolean }): PublicJwkSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwksProblem('must be a JWK Set: an object with "keys"');
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new JwksProblem('must be a JWK Set: an object with a "keys" array');
  if (JSON.stringify(value).length > MAX_JWKS_BYTES) throw new JwksProblem(`must be at most ${MAX_JWKS_BYTES} bytes`);
  const out: PublicJwk[] = [];
  keys.forEach((key: unknown, i) => {
    const at = `key ${i + 1}`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new JwksProblem(`${at}: must be a JWK object`);
    const jwk = key as Record<string, unknown>;
    const secretMember = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secretMember !== undefined) throw new JwksProblem(`${at}: has the private member "${secretMember}": register public keys only (and replace the leaked key)`);
    const problem = keyProblem(jwk);
    if (problem === undefined) out.push(jwk as PublicJwk);
    else if (registered) throw new JwksProblem(`${at}: ${problem}`);
  });
  if (out.length === 0) throw new JwksProblem('holds no public signing key (RSA, EC or OKP)');
  if (out.length > MAX_JWKS_KEYS) throw new JwksProblem(`must hold at most ${MAX_JWKS_KEYS} keys`);
  const kids = out.map((k) => k.kid).filter((k) => k !== undefined);
  if (new Set(kids).size !== kids.length) throw new JwksProblem('key ids ("kid") must be unique');
  return { keys: out };
}

function keyProblem(jwk: Record<string, unknown>): string | undefined {
  const kty = jwk.kty;
  if (typeof kty !== 'string' || !(kty in MEMBERS)) return 'kty must be RSA, EC or OKP (a public key; "oct" is symmetric)';
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use must be "sig"';
  if (jwk.alg !== undefined && !(SIGNATURE_ALGS as readonly unknown[]).includes(jwk.alg)) return `alg must be one of ${SIGNATURE_ALGS.join(', ')}`;
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 255)) return 'kid must be a string of 1–255 characters';
  const missing = MEMBERS[kty]!.find((m) => typeof jwk[m] !== 'string');
  if (missing) return `"${missing}" is missing`;
  if (CURVES[kty] && !CURVES[kty]!.includes(jwk.crv as string)) return `crv must be one of ${CURVES[kty]!.join(', ')}`;
  try {
    createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return 'is not a valid public key';
  }
  return undefined;
}

/** A `jwks_uri`: https (http on a loopback host only, for development, and fetched only when JWKS_URI_ALLOW_LOOPBACK allows). */
export function jwksUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash || uri.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return undefined;
  return 'must be an https URL';
}
