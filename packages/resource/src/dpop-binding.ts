/**
 * An access token and the key it is bound to (RFC 9449 §7): a token whose `cnf.jkt` names a key
 * is used with the `DPoP` authorization scheme and a proof by that key, for this request, naming
 * this token (`ath`); it is never accepted as a plain bearer token (§7.2: no downgrade). A token
 * without `cnf` stays a bearer token. The provider's own endpoints and every resource-server
 * adapter decide through this one module.
 */
import type { JWTPayload } from 'jose';
import { BearerError } from './errors.js';
import { verifyDpopProof, type DpopProofOptions, type VerifiedDpopProof } from './dpop.js';

/** The credentials of an `Authorization` header: the scheme said, and the token. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/** `token68` of RFC 9110 §11.2, as RFC 6750 §2.1 and RFC 9449 §7.1 write it. */
const CREDENTIALS = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token of an `Authorization: Bearer …` or `Authorization: DPoP …` header; `undefined` when
 * the request carries neither scheme. A malformed value of either scheme is an error.
 */
export function tokenFromAuthorization(authorization: string | undefined): PresentedToken | undefined {
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  const scheme = /^(bearer|dpop)(\s|$)/i.exec(value)?.[1];
  if (!scheme) return undefined;
  const match = CREDENTIALS.exec(value);
  if (!match) throw new BearerError('invalid_request', 'the Authorization header is malformed');
  return { scheme: scheme.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! };
}

/**
 * The key thumbprint a token is bound to (`cnf.jkt`, RFC 9449 §6.1), or undefined. A `cnf` that
 * is there but not understood refuses the token: a confirmation we cannot check must not be
 * dropped (RFC 7800 §3.1).
 */
export function boundKeyThumbprint(claims: JWTPayload): string | undefined {
  const cnf = claims.cnf;
  if (cnf === undefined) return undefined;
  const jkt = cnf !== null && typeof cnf === 'object' && !Array.isArray(cnf) ? (cnf as { jkt?: unknown }).jkt : undefined;
  if (typeof jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jkt)) throw new BearerError('invalid_token', 'the access token\'s cnf claim is not a DPoP key thumbprint (RFC 9449 §6.1)');
  return jkt;
}

/** What checking a binding needs of the request besides the token: everything but the token's own part. */
export type DpopRequestOptions = Omit<DpopProofOptions, 'accessToken' | 'jkt'>;

/**
 * Checks that a verified token is presented as its binding demands. Returns the verified proof
 * for a DPoP-bound token, undefined for a bearer token (whose `DPoP` header, if any, is ignored:
 * §7.2 lets a bearer token travel beside one).
 */
export async function checkTokenBinding(presented: PresentedToken, claims: JWTPayload, proof: string | undefined, options: DpopRequestOptions): Promise<VerifiedDpopProof | undefined> {
  const jkt = boundKeyThumbprint(claims);
  if (jkt === undefined) {
    if (presented.scheme === 'DPoP') throw new BearerError('invalid_token', 'the access token is not bound to a DPoP key; send it with the Bearer scheme');
    return undefined;
  }
  if (presented.scheme !== 'DPoP') throw new BearerError('invalid_token', 'the access token is bound to a DPoP key; send it with the DPoP scheme and a proof');
  if (proof === undefined) throw new BearerError('invalid_dpop_proof', 'the DPoP proof is missing');
  return verifyDpopProof(proof, { ...options, accessToken: presented.token, jkt });
}
