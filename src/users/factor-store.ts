/**
 * The one way to the user_factors table (docs/ARCHITECTURE.md "One way to each table"): a user's
 * second factors and their pending enrolments (docs/ACCOUNTS.md "Two-step sign-in").
 *
 * What must hold under parallel requests is a single conditional statement: an enrolment is
 * confirmed once, and a TOTP time step is accepted once per factor (RFC 6238 §5.2: "the verifier
 * MUST NOT accept the second attempt of the OTP after the successful validation has been issued
 * for the first OTP") by a compare-and-set on `totp_last_step`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserFactor } from '../db/entities/user-factor.js';

export type FactorKind = 'totp';

/** A factor as the rest of the service sees it (the encrypted secret only where asked for). */
export interface FactorRow {
  id: string;
  userId: string;
  kind: FactorKind;
  name: string;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A TOTP factor with its sealed secret and last accepted step. */
export interface TotpFactorRow extends FactorRow {
  secret: string;
  lastStep: number | null;
}

/** A user id is a UUID here, or a fake-mode subject: a factor id is always a UUID. */
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/**
 * Starts a TOTP enrolment: the user's pending one (if any) is replaced, so a user has at most one
 * at a time. `seal` encrypts the secret bound to the new row's id.
 */
export async function replacePendingTotp(em: EntityManager, o: { userId: string; name: string; now: number; seal: (id: string) => string }): Promise<string> {
  return em.fork().transactional(async (tx) => {
    await tx.nativeDelete(UserFactor, { userId: o.userId, confirmedAt: null });
    const row = tx.create(UserFactor, { userId: o.userId, kind: 'totp', name: o.name, createdAt: new Date(o.now) });
    row.secret = o.seal(row.id);
    await tx.flush();
    return row.id;
  });
}

/** The user's pending TOTP enrolment `id`, when it was started after `since`. */
export async function findPendingTotp(em: EntityManager, userId: string, id: string, since: number): Promise<TotpFactorRow | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await em.fork().findOne(UserFactor, { id, userId, kind: 'totp', confirmedAt: null, createdAt: { $gt: new Date(since) } });
  return row ? totpRow(row) : undefined;
}

/**
 * Confirms the pending enrolment `id` with the step its first code was of (that code is spent:
 * RFC 6238 §5.2). Undefined when it is no longer pending or older than `since` (a parallel
 * confirmation or a new start won). Inside the caller's transaction.
 */
export async function confirmPending(em: EntityManager, o: { userId: string; id: string; name: string; step: number; now: number; since: number }): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    'update user_factors set confirmed_at = ?, name = ?, totp_last_step = ? where id = ? and user_id = ? and confirmed_at is null and created_at > ? returning id',
    [new Date(o.now), o.name, o.step, o.id, o.userId, new Date(o.since)],
  );
  return rows.length === 1;
}

/** The user's confirmed factors, oldest first. */
export async function listFactors(em: EntityManager, userId: string): Promise<FactorRow[]> {
  const rows = await em.fork().find(UserFactor, { userId, confirmedAt: { $ne: null } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return rows.map(factorRow);
}

/** The user's confirmed TOTP factors, with their sealed secrets (for checking a code). */
export async function listTotpFactors(em: EntityManager, userId: string): Promise<TotpFactorRow[]> {
  const rows = await em.fork().find(UserFactor, { userId, kind: 'totp', confirmedAt: { $ne: null } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return rows.map(totpRow);
}

/** How many confirmed factors the user has, in the caller's transaction. */
export async function countFactors(em: EntityManager, userId: string): Promise<number> {
  return em.count(UserFactor, { userId, confirmedAt: { $ne: null } });
}

/**
 * Locks the user's confirmed factors until the caller's transaction ends: a removal that must
 * leave one (JWT_OIDC_MFA=required) waits for any other removal of the same user's.
 */
export async function lockFactors(em: EntityManager, userId: string): Promise<void> {
  await em.execute('select id from user_factors where user_id = ? and confirmed_at is not null for update', [userId]);
}

/** Whether the user has a confirmed factor (a sign-in then asks for it). */
export async function hasFactor(em: EntityManager, userId: string): Promise<boolean> {
  return (await em.fork().count(UserFactor, { userId, confirmedAt: { $ne: null } })) > 0;
}

/**
 * Accepts `step` for the TOTP factor `id` if it is later than any step accepted before: one
 * UPDATE, so of parallel posts of one code (at any instance) exactly one finds the old step
 * (RFC 6238 §5.2).
 */
export async function acceptTotpStep(em: EntityManager, id: string, step: number, now: number): Promise<boolean> {
  const rows = await em.fork().execute<{ id: string }[]>(
    'update user_factors set totp_last_step = ?, last_used_at = ? where id = ? and confirmed_at is not null and (totp_last_step is null or totp_last_step < ?) returning id',
    [step, new Date(now), id, step],
  );
  return rows.length === 1;
}

/** Removes the user's confirmed factor `id`: its kind, or undefined when the user has no such factor. Inside the caller's transaction. */
export async function removeFactor(em: EntityManager, userId: string, id: string): Promise<FactorKind | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await em.execute<{ kind: FactorKind }[]>('delete from user_factors where id = ? and user_id = ? and confirmed_at is not null returning kind', [id, userId]);
  return rows[0]?.kind;
}

/** Removes every factor of the user, pending ones too; how many were confirmed. Inside the caller's transaction. */
export async function removeAllFactors(em: EntityManager, userId: string): Promise<number> {
  const rows = await em.execute<{ confirmed: boolean }[]>('delete from user_factors where user_id = ? returning confirmed_at is not null as confirmed', [userId]);
  return rows.filter((r) => r.confirmed).length;
}

/** A row's sealed secret, as `keys reencrypt` reads it (src/users/factor-secrets.ts). */
export interface SealedFactorSecret {
  id: string;
  userId: string;
  kind: string;
  secret: string;
}

/** Every factor with an encrypted secret, pending enrolments too, locked until the caller's transaction ends. */
export async function lockSealedSecrets(em: EntityManager): Promise<SealedFactorSecret[]> {
  return em.execute<SealedFactorSecret[]>('select id, user_id as "userId", kind, secret from user_factors where secret is not null order by id for update');
}

/** Replaces the sealed secret of factor `id`, in the caller's transaction. */
export async function replaceSealedSecret(em: EntityManager, id: string, secret: string): Promise<void> {
  await em.execute('update user_factors set secret = ? where id = ?', [secret, id]);
}

function factorRow(row: UserFactor): FactorRow {
  return { id: row.id, userId: row.userId, kind: row.kind as FactorKind, name: row.name, createdAt: row.createdAt, confirmedAt: row.confirmedAt ?? null, lastUsedAt: row.lastUsedAt ?? null };
}

function totpRow(row: UserFactor): TotpFactorRow {
  return { ...factorRow(row), secret: row.secret ?? '', lastStep: row.totpLastStep == null ? null : Number(row.totpLastStep) };
}
