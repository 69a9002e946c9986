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

export type FactorKind = 'totp' | 'passkey';

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
 * Starts a TOTP enrolment: the user's pending TOTP enrolment (if any) is replaced, so a user has at
 * most one at a time; a pending passkey registration stays (the set-up page at sign-in offers
 * both at once: docs/ACCOUNTS.md "The policy"). `seal` encrypts the secret bound to the new row's id.
 */
export async function replacePendingTotp(em: EntityManager, o: { userId: string; name: string; now: number; seal: (id: string) => string }): Promise<string> {
  return em.fork().transactional(async (tx) => {
    await tx.nativeDelete(UserFactor, { userId: o.userId, kind: 'totp', confirmedAt: null });
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
 * Serialises the confirmations of the user's enrolments until the caller's transaction ends (a
 * PostgreSQL advisory lock on the user): whether a factor is the user's first — which brings the
 * recovery codes, and which alone the set-up at sign-in may add — is then decided by one
 * confirmation at a time, a TOTP code and a passkey posted at once included.
 */
export async function lockEnrolments(em: EntityManager, userId: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 7))', [`user-factors:${userId}`]);
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

// ---------------------------------------------------------------------------------------------
// Passkeys (WebAuthn Level 2; docs/ACCOUNTS.md "Passkeys", src/users/passkeys.ts). A pending row
// holds the registration's challenge; confirming it is one conditional UPDATE that spends the
// challenge, so one registration response is accepted once. The signature counter moves by
// compare-and-set only (WebAuthn L2 §6.1.1).
// ---------------------------------------------------------------------------------------------

/** What a verified registration response gives (WebAuthn L2 §7.1 steps 21–26). */
export interface NewPasskey {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  backedUp: boolean;
  deviceType: string;
}

/** A confirmed passkey with what verifying an assertion needs. */
export interface PasskeyRow extends FactorRow, NewPasskey {
  userHandle: string;
}

/**
 * The user handle of the user's passkeys: that of an existing one, so that an authenticator sees
 * one account (WebAuthn L2 §5.4.3: "user.id"), or undefined for a user without any.
 */
export async function passkeyUserHandle(em: EntityManager, userId: string): Promise<string | undefined> {
  const row = await em.fork().findOne(UserFactor, { userId, kind: 'passkey', userHandle: { $ne: null } }, { orderBy: { createdAt: 'asc' } });
  return row?.userHandle ?? undefined;
}

/**
 * Starts a passkey registration: a pending row holding the challenge and the user handle,
 * replacing the user's pending passkey registration (one at a time, as for TOTP); a pending TOTP
 * enrolment stays (both are offered at once on the set-up page: docs/ACCOUNTS.md "The policy").
 */
export async function replacePendingPasskey(em: EntityManager, o: { userId: string; challenge: string; userHandle: string; now: number }): Promise<string> {
  return em.fork().transactional(async (tx) => {
    await tx.nativeDelete(UserFactor, { userId: o.userId, kind: 'passkey', confirmedAt: null });
    const row = tx.create(UserFactor, { userId: o.userId, kind: 'passkey', name: 'Passkey', createdAt: new Date(o.now), challenge: o.challenge, userHandle: o.userHandle });
    await tx.flush();
    return row.id;
  });
}

/** The user's pending passkey registration `id` (its challenge and user handle), when started after `since`. */
export async function findPendingPasskey(em: EntityManager, userId: string, id: string, since: number): Promise<{ id: string; challenge: string; userHandle: string } | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await em.fork().findOne(UserFactor, { id, userId, kind: 'passkey', confirmedAt: null, createdAt: { $gt: new Date(since) } });
  return row?.challenge && row.userHandle ? { id: row.id, challenge: row.challenge, userHandle: row.userHandle } : undefined;
}

/**
 * Confirms the pending registration `id` with its verified credential, spending its challenge:
 * false when it is no longer pending with that challenge, or older than `since` (a parallel
 * finish or a new start won). A credential id already registered (to anyone) throws the unique
 * violation, which the caller maps. Inside the caller's transaction.
 */
export async function confirmPendingPasskey(em: EntityManager, o: { userId: string; id: string; challenge: string; name: string; credential: NewPasskey; now: number; since: number }): Promise<boolean> {
  const c = o.credential;
  const rows = await em.execute<{ id: string }[]>(
    `update user_factors set confirmed_at = ?, name = ?, challenge = null, credential_id = ?, credential_public_key = ?, credential_counter = ?, credential_transports = ?::jsonb, credential_backed_up = ?, credential_device_type = ?
     where id = ? and user_id = ? and kind = 'passkey' and confirmed_at is null and challenge = ? and created_at > ? returning id`,
    [new Date(o.now), o.name, c.credentialId, c.publicKey, c.counter, JSON.stringify(c.transports), c.backedUp, c.deviceType, o.id, o.userId, o.challenge, new Date(o.since)],
  );
  return rows.length === 1;
}

/** Whether the credential id is registered already (to anyone). */
export async function passkeyExists(em: EntityManager, credentialId: string): Promise<boolean> {
  return (await em.fork().count(UserFactor, { credentialId })) > 0;
}

/** The user's confirmed passkeys, oldest first. */
export async function listPasskeys(em: EntityManager, userId: string): Promise<PasskeyRow[]> {
  const rows = await em.fork().find(UserFactor, { userId, kind: 'passkey', confirmedAt: { $ne: null } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return rows.map(passkeyRow);
}

/** The confirmed passkey with this credential id, whoever's. */
export async function findPasskey(em: EntityManager, credentialId: string): Promise<PasskeyRow | undefined> {
  if (credentialId.length === 0 || credentialId.length > 1400) return undefined;
  const row = await em.fork().findOne(UserFactor, { credentialId, kind: 'passkey', confirmedAt: { $ne: null } });
  return row ? passkeyRow(row) : undefined;
}

/**
 * Accepts an assertion's signature counter for the passkey `id`: one UPDATE that moves the
 * counter only from the value `seen` (the one the assertion was checked against) to `counter`,
 * so of parallel assertions with one counter value at most one passes, and a counter that went
 * back meanwhile is refused too (WebAuthn L2 §6.1.1). Authenticators without a counter send 0
 * every time: 0 after 0 is accepted (the same section). The backup state is refreshed (BS may
 * change over a credential's life, §6.1.3).
 */
export async function advancePasskeyCounter(em: EntityManager, o: { id: string; seen: number; counter: number; backedUp: boolean; now: number }): Promise<boolean> {
  const rows = await em.fork().execute<{ id: string }[]>(
    'update user_factors set credential_counter = ?, credential_backed_up = ?, last_used_at = ? where id = ? and confirmed_at is not null and credential_counter = ? returning id',
    [o.counter, o.backedUp, new Date(o.now), o.id, o.seen],
  );
  return rows.length === 1;
}

function passkeyRow(row: UserFactor): PasskeyRow {
  return {
    ...factorRow(row),
    credentialId: row.credentialId ?? '',
    publicKey: row.credentialPublicKey ?? '',
    counter: row.credentialCounter == null ? 0 : Number(row.credentialCounter),
    transports: row.credentialTransports ?? [],
    backedUp: row.credentialBackedUp === true,
    deviceType: row.credentialDeviceType ?? 'singleDevice',
    userHandle: row.userHandle ?? '',
  };
}

// ---------------------------------------------------------------------------------------------

function factorRow(row: UserFactor): FactorRow {
  return { id: row.id, userId: row.userId, kind: row.kind as FactorKind, name: row.name, createdAt: row.createdAt, confirmedAt: row.confirmedAt ?? null, lastUsedAt: row.lastUsedAt ?? null };
}

function totpRow(row: UserFactor): TotpFactorRow {
  return { ...factorRow(row), secret: row.secret ?? '', lastStep: row.totpLastStep == null ? null : Number(row.totpLastStep) };
}
