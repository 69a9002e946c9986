/**
 * What the service stores instead of a secret (client secrets, codes, refresh tokens, session
 * ids), and the ETag of a document: SHA-256, base64url. Fast on purpose: the inputs are 256-bit
 * random values or public documents, not passwords (those use scrypt: users/password.ts).
 */
import { createHash } from 'node:crypto';

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** A strong ETag of a serialized body (RFC 9110 §8.8.3). */
export function etagOf(body: string): string {
  return `"${sha256(body).slice(0, 27)}"`;
}
