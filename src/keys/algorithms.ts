/**
 * The JWS algorithms of SIGNATURE_ALG (RFC 7518 §3, RFC 8037 for EdDSA): how to generate a key
 * for each, and how node:crypto signs with it, derived from the table the verifier checks
 * against (@jwt-oidc/resource). Key sizes grow with the hash: RSA 2048/3072/4096 for
 * *256/*384/*512, as NIST SP 800-57 pairs them.
 */
import { JWS_ALGORITHMS } from '@jwt-oidc/resource';
import { SIGNATURE_ALGS, type SignatureAlg } from '../config/definitions.js';

export interface AlgorithmSpec {
  /** `crypto.generateKeyPair` type and options. */
  keyType: 'ec' | 'rsa' | 'rsa-pss' | 'ed25519';
  keyOptions: { namedCurve?: string; modulusLength?: number };
  /** Digest for `crypto.sign` (`null` for EdDSA, which hashes internally). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** Extra `crypto.sign` options: raw r||s signatures for ECDSA (RFC 7518 §3.4), PSS padding. */
  signOptions: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number };
}

const RSA_PKCS1_PSS_PADDING = 6;
const RSA_BITS = { sha256: 2048, sha384: 3072, sha512: 4096 } as const;
const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** The signing side of an algorithm of @jwt-oidc/resource's table: its digest, curve and padding. */
function signingSpec(alg: SignatureAlg): AlgorithmSpec {
  const { hash, curve, pss } = JWS_ALGORITHMS[alg];
  // ECDSA: signatures as raw r||s (RFC 7518 §3.4).
  if (curve) return { keyType: 'ec', keyOptions: { namedCurve: curve.name }, hash, signOptions: { dsaEncoding: 'ieee-p1363' } };
  // EdDSA with Ed25519 (RFC 8037 §3.1), which hashes internally.
  if (hash === null) return { keyType: 'ed25519', keyOptions: {}, hash: null, signOptions: {} };
  // RS*, PS*: an ordinary RSA key; PSS with MGF1 and a salt as long as the hash (RFC 7518 §3.5).
  const signOptions = pss ? { padding: RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] } : {};
  return { keyType: 'rsa', keyOptions: { modulusLength: RSA_BITS[hash] }, hash, signOptions };
}

export const ALGORITHMS = Object.fromEntries(SIGNATURE_ALGS.map((alg) => [alg, signingSpec(alg)])) as Record<SignatureAlg, AlgorithmSpec>;

/**
 * The hash used for `at_hash` and `c_hash` (OIDC Core §3.1.3.6): the one of the ID token's alg;
 * for EdDSA with Ed25519, SHA-512 (OIDC errata, RFC 8037 §3.1).
 */
export function halfHashAlgorithm(alg: SignatureAlg): 'sha256' | 'sha384' | 'sha512' {
  return ALGORITHMS[alg].hash ?? 'sha512';
}
