/** Opaque secrets (codes, refresh tokens, session ids): 256 random bits; stored as SHA-256. */
import { createHash, randomBytes } from 'node:crypto';

export const newOpaqueValue = (): string => randomBytes(32).toString('base64url');
export const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64url');
