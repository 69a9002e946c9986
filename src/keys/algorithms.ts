/**
 * The JWS algorithms of SIGNATURE_ALG (RFC 7518 §3, RFC 8037 for EdDSA): how to generate a key
 * for each, and how node:crypto signs with it. Key sizes grow with the hash: RSA 2048/3072/4096
 * for *256/*384/*512, as NIST SP 800-57 pairs them.
 */
import type { SignatureAlg } from '../config/definitions.js';

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

export const ALGORITHMS: Record<SignatureAlg, AlgorithmSpec> = {
  ES256: { keyType: 'ec', keyOptions: { namedCurve: 'P-256' }, hash: 'sha256', signOptions: { dsaEncoding: 'ieee-p1363' } },
  ES384: { keyType: 'ec', keyOptions: { namedCurve: 'P-384' }, hash: 'sha384', signOptions: { dsaEncoding: 'ieee-p1363' } },
  ES512: { keyType: 'ec', keyOptions: { namedCurve: 'P-521' }, hash: 'sha512', signOptions: { dsaEncoding: 'ieee-p1363' } },
  RS256: { keyType: 'rsa', keyOptions: { modulusLength: 2048 }, hash: 'sha256', signOptions: {} },
  RS384: { keyType: 'rsa', keyOptions: { modulusLength: 3072 }, hash: 'sha384', signOptions: {} },
  RS512: { keyType: 'rsa', keyOptions: { modulusLength: 4096 }, hash: 'sha512', signOptions: {} },
  // PS*: an ordinary RSA key; PSS with MGF1 and a salt as long as the hash (RFC 7518 §3.5).
  PS256: { keyType: 'rsa', keyOptions: { modulusLength: 2048 }, hash: 'sha256', signOptions: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  PS384: { keyType: 'rsa', keyOptions: { modulusLength: 3072 }, hash: 'sha384', signOptions: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 48 } },
  PS512: { keyType: 'rsa', keyOptions: { modulusLength: 4096 }, hash: 'sha512', signOptions: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 64 } },
  EdDSA: { keyType: 'ed25519', keyOptions: {}, hash: null, signOptions: {} },
};

/**
 * The hash used for `at_hash` and `c_hash` (OIDC Core §3.1.3.6): the one of the ID token's alg;
 * for EdDSA with Ed25519, SHA-512 (OIDC errata, RFC 8037 §3.1).
 */
export function halfHashAlgorithm(alg: SignatureAlg): 'sha256' | 'sha384' | 'sha512' {
  return ALGORITHMS[alg].hash ?? 'sha512';
}
