/**
 * The tokens of the links the service mails (docs/ACCOUNTS.md; the pages: src/interaction/password-reset.ts and registration.ts): 256 random bits, stored as a
 * SHA-256 digest, single use, bounded life. The one way to the account_tokens table.
 *
 * Using a token is one conditional UPDATE … RETURNING: of any number of parallel uses, exactly
 * one finds it unused and unexpired (docs/SECURITY.md rows AC-*).
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AccountToken } from '../db/entities/account-token.js';
import { sha256 } from '../util/digest.js';

/**
 * `password-reset` (src/interaction/password-reset.ts), `email-verification`
 * (src/interaction/registration.ts), `email-change` (src/interaction/email-change.ts: its data is
 * `{ email, previous }`), `invitation` (src/users/invitations.ts: no user yet; its data is
 * `{ email, admin, invitedBy }`).
 */
export type AccountTokenKind = 'password-reset' | 'email-verification' | 'email-change' | 'invitation';

/** What a token names: its user (null for an invitation) and its data. */
export interface AccountTokenFound {
  userId: string | null;
  data: Record<string, unknown>;
}

export interface IssueOptions {
  kind: AccountTokenKind;
  /** Null for an invitation. */
  userId: string | null;
  lifetimeMs: number;
  now: number;
  data?: Record<string, unknown>;
}

/** A new token for `userId`; the caller mails it, the table keeps only its digest. */
export async function issueAccountToken(em: EntityManager, o: IssueOptions): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  em.create(AccountToken, { digest: sha256(token), kind: o.kind, userId: o.userId, data: o.data ?? null, createdAt: new Date(o.now), expiresAt: new Date(o.now + o.lifetimeMs), usedAt: null });
  await em.flush();
  return token;
}

/** Whether `token` is one of `kind`, unused and unexpired, without using it (to show its form). */
export async function findAccountToken(em: EntityManager, kind: AccountTokenKind, token: string, now: number): Promise<AccountTokenFound | undefined> {
  if (!plausible(token)) return undefined;
  const row = await em.findOne(AccountToken, { digest: sha256(token), kind, usedAt: null, expiresAt: { $gt: new Date(now) } });
  return row ? { userId: row.userId ?? null, data: row.data ?? {} } : undefined;
}

/**
 * Uses `token` once: its user and data, or undefined when it is unknown, of another kind, used
 * or expired. Inside the caller's transaction, so that what the token allows happens with it or
 * not at all.
 */
export async function useAccountToken(em: EntityManager, kind: AccountTokenKind, token: string, now: number): Promise<AccountTokenFound | undefined> {
  if (!plausible(token)) return undefined;
  const rows = await em.execute<{ user_id: string | null; data: Record<string, unknown> | null }[]>(
    'update account_tokens set used_at = ? where digest = ? and kind = ? and used_at is null and expires_at > ? returning user_id, data',
    [new Date(now), sha256(token), kind, new Date(now)],
  );
  const row = rows[0];
  return row ? { userId: row.user_id, data: row.data ?? {} } : undefined;
}

/**
 * Ends the invitations of `email` not used yet (compared without case), whether expired or not:
 * inviting an address again replaces its link (docs/ACCOUNTS.md "Invitations"). The caller
 * holds the address's lock (src/users/invitations.ts), so that one stays.
 */
export async function revokeInvitations(em: EntityManager, email: string): Promise<number> {
  const rows = await em.execute<{ digest: string }[]>(
    "delete from account_tokens where kind = 'invitation' and used_at is null and lower(data->>'email') = lower(?) returning digest",
    [email],
  );
  return rows.length;
}

/** Ends every token of `kind` that `userId` still has (a password changed ends the reset links). */
export async function revokeAccountTokens(em: EntityManager, userId: string, kind: AccountTokenKind): Promise<void> {
  await em.nativeDelete(AccountToken, { userId, kind });
}

/** Tokens are 43 base64url characters: anything else is not looked up. */
function plausible(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
