/**
 * The one way to the recovery_codes table: the codes that stand in for a lost second factor
 * (docs/ACCOUNTS.md "Two-step sign-in"). Ten per set, 80 random bits each, shown once and stored
 * as SHA-256 digests; a new set replaces the old one; each code is used once, by one conditional
 * UPDATE (of parallel uses exactly one succeeds).
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RecoveryCode } from '../db/entities/recovery-code.js';
import { sha256 } from '../util/digest.js';

export const RECOVERY_CODES_PER_SET = 10;

/** Crockford's base32 without I, L, O, U: nothing to misread when typed from paper. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A code as shown: 16 characters in groups of four (`7K3M-…`); 80 bits. */
function newCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** A code as typed, the way it is digested: without spaces or dashes, upper case, O read as 0 and I/L as 1. */
export function normalizeRecoveryCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** A new set for the user, replacing the old one; the codes to show once. Inside the caller's transaction. */
export async function replaceRecoveryCodes(em: EntityManager, userId: string, now: number): Promise<string[]> {
  await em.nativeDelete(RecoveryCode, { userId });
  const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, newCode);
  for (const code of codes) em.create(RecoveryCode, { digest: sha256(normalizeRecoveryCode(code)), userId, createdAt: new Date(now) });
  await em.flush();
  return codes;
}

/** Uses one of the user's codes: true exactly once per code. */
export async function useRecoveryCode(em: EntityManager, userId: string, typed: string, now: number): Promise<boolean> {
  const code = normalizeRecoveryCode(typed);
  if (!/^[0-9A-Z]{16}$/.test(code)) return false;
  const rows = await em.fork().execute<{ digest: string }[]>('update recovery_codes set used_at = ? where digest = ? and user_id = ? and used_at is null returning digest', [new Date(now), sha256(code), userId]);
  return rows.length === 1;
}

/** How many of the user's codes are left. */
export async function unusedRecoveryCodes(em: EntityManager, userId: string): Promise<number> {
  return em.fork().count(RecoveryCode, { userId, usedAt: null });
}

/** Removes the user's codes (the last factor went). Inside the caller's transaction. */
export async function removeRecoveryCodes(em: EntityManager, userId: string): Promise<void> {
  await em.nativeDelete(RecoveryCode, { userId });
}
