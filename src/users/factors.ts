/**
 * Second factors of an account (docs/ACCOUNTS.md "Two-step sign-in"): TOTP enrolment, the
 * recovery codes, removal by the user, reset by an administrator (GraphQL and the CLI use this
 * same service). The rows: src/users/factor-store.ts and recovery-codes.ts.
 *
 * A TOTP secret is encrypted at rest with the signing keys' machinery (src/keys/encryption.ts:
 * AES-256-GCM under JWT_OIDC_KEY_ENCRYPTION_SECRET), bound to its row's id: the table alone
 * computes no codes, and a secret moved to another row does not decrypt.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { User } from '../db/entities/user.js';
import { acceptTotpStep, confirmPending, countFactors, findPendingTotp, listFactors, listTotpFactors, lockEnrolments, lockFactors, removeAllFactors, removeFactor, replacePendingTotp, type FactorRow } from './factor-store.js';
import { removeRecoveryCodes, replaceRecoveryCodes, unusedRecoveryCodes, useRecoveryCode } from './recovery-codes.js';
import { newTotpSecret, qrSvg, totpStep, totpUri } from './totp.js';
import { UserError, UserService, type UserRef } from './user-service.js';

/** A pending enrolment waits this long for its first code, then a new one must be started. */
export const ENROLMENT_LIFETIME_MS = 10 * 60 * 1000;

/** What encrypts the secrets: KeyEncryption (src/keys/encryption.ts). */
export interface SecretSealer {
  encrypt(kid: string, plaintext: Buffer): string;
  decrypt(kid: string, blob: string): Buffer;
}

export interface FactorDeps {
  em: EntityManager;
  clock: Clock;
  sealer: SecretSealer;
}

/** What the user's authenticator app needs, shown once: the secret, its otpauth URI and that URI as a QR code (SVG). */
export interface TotpEnrolmentStart {
  id: string;
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** The user has a factor already, where only the first may be added (the set-up at sign-in). */
export const alreadyEnrolled = () => new UserError('ERR_USER_EXISTS', 'two-step sign-in is set up already', 'factor');

/** The associated data a factor's secret is bound to (its row). */
export const sealedAs = (id: string) => `user-factor:${id}`;

/** A factor's name: what the user typed, trimmed, one line, 1–100 characters. */
export function factorName(name: string): string {
  const trimmed = name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw new UserError('ERR_USER_INVALID', 'give the factor a name of 1 to 100 characters', 'name');
  return trimmed;
}

export class FactorService {
  constructor(private readonly deps: FactorDeps) {}

  private get now(): number {
    return this.deps.clock.now();
  }

  /** The user's confirmed factors, oldest first. */
  list(userId: string): Promise<FactorRow[]> {
    return listFactors(this.deps.em, userId);
  }

  /**
   * Starts a TOTP enrolment for `user` (the caller has confirmed the password): a new secret,
   * replacing a pending enrolment if there is one. `issuer` is the name the app shows.
   */
  async startTotp(user: Pick<User, 'id' | 'username'>, issuer: string): Promise<TotpEnrolmentStart> {
    const secret = newTotpSecret();
    const id = await replacePendingTotp(this.deps.em, { userId: user.id, name: 'Authenticator app', now: this.now, seal: (rowId) => this.deps.sealer.encrypt(sealedAs(rowId), Buffer.from(secret, 'utf8')) });
    const otpauthUri = totpUri(issuer, user.username, secret);
    return { id, secret, otpauthUri, qrSvg: await qrSvg(otpauthUri) };
  }

  /**
   * The pending enrolment `id` of `user` shown again (the same secret), while it waits for its
   * first code; undefined once it is confirmed, replaced or older than ENROLMENT_LIFETIME_MS.
   */
  async pendingTotp(user: Pick<User, 'id' | 'username'>, id: string, issuer: string): Promise<TotpEnrolmentStart | undefined> {
    const pending = await findPendingTotp(this.deps.em, user.id, id, this.now - ENROLMENT_LIFETIME_MS);
    if (!pending) return undefined;
    const secret = this.openSecret(pending.id, pending.secret);
    const otpauthUri = totpUri(issuer, user.username, secret);
    return { id: pending.id, secret, otpauthUri, qrSvg: await qrSvg(otpauthUri) };
  }

  /**
   * Confirms the pending enrolment `id` with a code of its secret; the user's new recovery codes
   * (replacing any older set), to show once. UserError `code` for a wrong code; NOT_FOUND when
   * there is no such pending enrolment of this user (another user's, confirmed, expired).
   * `firstOnly` (the set-up at sign-in, src/interaction/enrolment.ts): EXISTS when the user has a
   * factor already — one set up meanwhile, in another tab or another way; the code is not spent.
   */
  async confirmTotp(userId: string, id: string, code: string, name: string, options: { firstOnly?: boolean } = {}): Promise<string[]> {
    const label = factorName(name);
    const now = this.now;
    const since = now - ENROLMENT_LIFETIME_MS;
    const pending = await findPendingTotp(this.deps.em, userId, id, since);
    if (!pending) throw new UserError('ERR_USER_NOT_FOUND', 'enrolment not found (it may have expired: start again)', 'id');
    const step = totpStep(this.openSecret(pending.id, pending.secret), code, now);
    if (step === undefined) throw new UserError('ERR_USER_INVALID', 'that code is not right: type the code the app shows now', 'code');
    return this.deps.em.fork().transactional(async (em) => {
      await lockEnrolments(em, userId);
      if (options.firstOnly && (await countFactors(em, userId)) > 0) throw alreadyEnrolled();
      if (!(await confirmPending(em, { userId, id, name: label, step, now, since }))) throw new UserError('ERR_USER_NOT_FOUND', 'enrolment not found (it may have expired: start again)', 'id');
      return replaceRecoveryCodes(em, userId, now);
    });
  }

  /**
   * Whether `code` is a TOTP code of one of the user's factors not used before (its time step
   * later than the last accepted: RFC 6238 §5.2); the step is spent when it is.
   */
  async verifyTotp(userId: string, code: string): Promise<boolean> {
    const now = this.now;
    for (const factor of await listTotpFactors(this.deps.em, userId)) {
      const step = totpStep(this.openSecret(factor.id, factor.secret), code, now);
      if (step !== undefined && (await acceptTotpStep(this.deps.em, factor.id, step, now))) return true;
    }
    return false;
  }

  /** Whether `code` is one of the user's recovery codes not used yet; it is spent when it is. */
  verifyRecoveryCode(userId: string, code: string): Promise<boolean> {
    return useRecoveryCode(this.deps.em, userId, code, this.now);
  }

  /**
   * Removes the user's factor `id` (with the recovery codes when it was the last); NOT_FOUND when
   * the user has none such. `keepOne` (JWT_OIDC_MFA=required): the last one is refused.
   */
  remove(userId: string, id: string, options: { keepOne?: boolean } = {}): Promise<{ kind: string }> {
    return removeOne(this.deps.em, userId, id, options);
  }

  /** A new set of recovery codes for a user with a factor (the old set stops working). */
  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    return this.deps.em.fork().transactional(async (em) => {
      if ((await countFactors(em, userId)) === 0) throw new UserError('ERR_USER_INVALID', 'recovery codes stand in for a second factor: add one first');
      return replaceRecoveryCodes(em, userId, this.now);
    });
  }

  private openSecret(id: string, sealed: string): string {
    return this.deps.sealer.decrypt(sealedAs(id), sealed).toString('utf8');
  }
}

/**
 * Removes every factor and recovery code of a user (an administrator's help for a lost phone:
 * the `resetUserFactors` mutation and `jwt-oidc users reset-mfa`); how many factors went.
 */
export async function resetFactors(em: EntityManager, ref: UserRef): Promise<{ user: User; removed: number }> {
  const user = await new UserService(em).find(ref);
  const removed = await em.fork().transactional(async (tx) => {
    const n = await removeAllFactors(tx, user.id);
    await removeRecoveryCodes(tx, user.id);
    return n;
  });
  return { user, removed };
}

/** Removes the user's factor `id`, and the recovery codes with the last one, in one transaction. */
/**
 * One factor removed, with the recovery codes when it was the last. `keepOne`: the last one is
 * refused; the user's factors are locked first, so two removals at once cannot both leave none.
 */
function removeOne(em: EntityManager, userId: string, id: string, options: { keepOne?: boolean } = {}): Promise<{ kind: string }> {
  return em.fork().transactional(async (tx) => {
    if (options.keepOne) await lockFactors(tx, userId);
    const kind = await removeFactor(tx, userId, id);
    if (!kind) throw new UserError('ERR_USER_NOT_FOUND', 'factor not found', 'id');
    const left = await countFactors(tx, userId);
    if (left === 0 && options.keepOne) throw new UserError('ERR_USER_INVALID', 'two-step sign-in is required here: the last second factor cannot be removed (add another one first)', 'id');
    if (left === 0) await removeRecoveryCodes(tx, userId);
    return { kind };
  });
}

/** A user's factors as an administrator sees them: the list, and how many recovery codes are left unused. */
export async function factorsOf(em: EntityManager, userId: string): Promise<{ factors: FactorRow[]; recoveryCodesLeft: number }> {
  const [factors, recoveryCodesLeft] = await Promise.all([listFactors(em, userId), unusedRecoveryCodes(em, userId)]);
  return { factors, recoveryCodesLeft };
}

/**
 * An administrator's removal of one factor of a user (the `removeUserFactor` mutation, `jwt-oidc
 * users remove-factor`): as the user's own removal, without their password. NOT_FOUND for an
 * unknown user or a factor that is not theirs.
 */
export async function removeFactorOf(em: EntityManager, ref: UserRef, id: string): Promise<{ user: User; kind: string }> {
  const user = await new UserService(em).find(ref);
  return { user, ...(await removeOne(em, user.id, id)) };
}
