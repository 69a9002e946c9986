/** Opaque secrets (codes, refresh tokens, session ids): 256 random bits; stored as SHA-256. */
import { sha256 } from '../../util/digest.js';
import { randomBytes } from 'node:crypto';

export const newOpaqueValue = (): string => randomBytes(32).toString('base64url');
export const digest = sha256;
