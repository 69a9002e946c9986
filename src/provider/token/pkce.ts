/**
 * PKCE at the token endpoint (RFC 7636 §4.6): the verifier must hash (S256) to the challenge of
 * the authorization request; a verifier for a code issued without a challenge is a downgrade
 * attempt and refused too (docs/SECURITY.md TK-08).
 */
import { createHash } from 'node:crypto';
import { invalidGrant, invalidRequest } from '../errors.js';

/** RFC 7636 §4.1: 43–128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function checkCodeVerifier(challenge: string | null | undefined, verifier: string | undefined): void {
  if (challenge !== null && challenge !== undefined) {
    if (verifier === undefined) throw invalidGrant('code_verifier is required');
    if (!VERIFIER.test(verifier)) throw invalidRequest('code_verifier is malformed');
    if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== challenge) throw invalidGrant('code_verifier does not match');
  } else if (verifier !== undefined) {
    throw invalidGrant('this code was issued without PKCE');
  }
}
