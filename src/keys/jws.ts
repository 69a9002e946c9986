/**
 * Compact JWS signing (RFC 7515 §7.1) with node:crypto and a ready KeyObject: no key import and
 * no WebCrypto round trip per token (ES256 signs ~3× faster this way than through jose).
 * Verification goes through jose.
 */
import { sign, type KeyObject } from 'node:crypto';
import type { SignatureAlg } from '../config/definitions.js';
import { ALGORITHMS } from './algorithms.js';

export interface JwsHeader {
  alg: SignatureAlg;
  kid: string;
  typ?: string;
}

export function signCompact(header: JwsHeader, payload: object, key: KeyObject): string {
  const spec = ALGORITHMS[header.alg];
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const signature = sign(spec.hash, Buffer.from(input), { key, ...spec.signOptions });
  return `${input}.${signature.toString('base64url')}`;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
