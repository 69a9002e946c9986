/**
 * Users: creation, lookup, passwords, deletion. The one place that validates user input, used
 * by the CLI now and by the GraphQL API and the login page later.
 */
import { isUserId } from './user-id.js';
import { revokeAccountTokens } from './account-tokens.js';
import { revokeGrantsOfUser } from '../provider/stores/grant-store.js';
import { deleteSessionsOfUser } from '../provider/stores/session-store.js';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { User } from '../db/entities/user.js';
import { searchCondition } from '../db/search.js';
import { skeleton, SKELETON_FROM, SKELETON_TO, skeletonPattern } from './confusables.js';
import { dummyPasswordHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './password.js';
import { mapUsername, usernameProblem } from './precis.js';

export type UserErrorCode = 'ERR_USER_INVALID' | 'ERR_USER_EXISTS' | 'ERR_USER_NOT_FOUND';

/** A user operation that cannot be done; `field` names the offending input when there is one. */
export class UserError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A username as stored and looked up: the PRECIS mapping of RFC 8265 §3.3 (width, case, NFC; see
 * precis.ts), so "Ａlice", "ALICE" and "ALİCE" are all "alice". Never refuses anything: every name
 * stored before keeps being found under what was typed for it. Choosing a name checks more.
 */
export function normalizeUsername(username: string): string {
  return mapUsername(username);
}

const username = z
  .string()
  .transform(normalizeUsername)
  .pipe(z.string().min(1, 'must not be empty').max(150, 'must be at most 150 characters'))
  .pipe(
    z.string().check((ctx) => {
      const problem = usernameProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    }),
  );
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const optionalText = (max: number) => z.string().trim().min(1).max(max).nullish();

const profileFields = {
  email: z.email('must be an email address').max(320).nullish(),
  emailVerified: z.boolean().optional(),
  givenName: optionalText(255),
  familyName: optionalText(255),
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'must be a BCP 47 language tag')
    .nullish(),
  picture: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048).nullish(),
};

const createSchema = z
  .object({
    username,
    password: password.optional(),
    admin: z.boolean().optional(),
    active: z.boolean().optional(),
    ...profileFields,
  })
  .strict();
export type CreateUserInput = z.input<typeof createSchema>;

const updateSchema = z.object({ admin: z.boolean().optional(), active: z.boolean().optional(), ...profileFields }).strict();
export type UpdateUserInput = z.input<typeof updateSchema>;

/** An address given for an account of its own (registration, invitation): trimmed, one address. */
const emailAddress = z.string().trim().pipe(z.email('must be an email address').max(320, 'must be at most 320 characters'));

/** What a person gives to create their own account (docs/ACCOUNTS.md "Registration"). */
const registerSchema = z
  .object({
    username: username.pipe(z.string().refine((v) => !v.includes('@'), 'must not contain "@" (a username, not an email address)')),
    email: emailAddress,
    password,
  })
  .strict();
export type RegisterInput = z.input<typeof registerSchema>;
export type RegisterField = keyof RegisterInput;

/**
 * The problems of a registration, one per field (the first of each), checked without the
 * database: what the form shows beside each field. Empty when the input can be registered as
 * far as its form goes (the username may still be taken).
 */
export function registrationProblems(input: RegisterInput): Partial<Record<RegisterField, string>> {
  const result = registerSchema.safeParse(input);
  const problems: Partial<Record<RegisterField, string>> = {};
  if (result.success) return problems;
  for (const issue of result.error.issues) {
    const field = issue.path[0] as RegisterField;
    problems[field] ??= issue.message;
  }
  return problems;
}

/** What an invitation carries (src/users/invitations.ts): the address it went to and whether the account is an administrator. */
export interface InvitationClaim {
  email: string;
  admin: boolean;
}

/** The outcome of a registration: a new account waiting for its address, or the active account that has the address already. */
export type Registration<T> = { created: User; issued: T } | { existing: User } | { existing: undefined };

/** A new address for one's own account (docs/ACCOUNTS.md "Changing the email address"). */
const newEmail = z.string().trim().pipe(z.email('must be an email address').max(320, 'must be at most 320 characters'));

/** What asking for a new address came to: a link for it, or nothing because `taken` by another account (whose owner is told by mail). */
export type EmailChangeRequest<T> = { issued: T } | { taken: true };

/** A confirmed change: the user with the new address, and the address it had (to be told). */
export interface EmailChanged {
  user: User;
  previous: string | null;
}

/** What users may change about themselves: never email (unverified), flags or username. */
const profileSchema = z.object({ givenName: profileFields.givenName, familyName: profileFields.familyName, locale: profileFields.locale, picture: profileFields.picture }).strict();
export type UpdateProfileInput = z.input<typeof profileSchema>;

/**
 * What a user's own password change ends besides the password-reset links: with `endOthers`,
 * every session and grant of the user except `keep` — the caller's own grant and the session it
 * was made in, so that the page that changed the password keeps working.
 */
export interface ChangePasswordOptions {
  endOthers: boolean;
  keep?: { grantId?: string; sid?: string | null };
}

/** A user named by username (the CLI) or by id (the GraphQL API). */
export type UserRef = string | { id: string } | { username: string };

export interface ListUsersOptions {
  /** Substring of username, email or name (case-insensitive; a prefix below 3 characters: src/db/search.ts). */
  search?: string;
  limit?: number;
  /** Return users whose username sorts after this one (keyset pagination). */
  afterUsername?: string;
}

/** The columns the administration's search looks in (src/db/search.ts). */
const USER_SEARCH_COLUMNS = ['username', 'email', 'given_name', 'family_name'] as const;

/**
 * A page of users by username, those matching `search` only (src/db/search.ts: a substring of
 * username, email or name, without case; a prefix below 3 characters): the one search of users,
 * for the CLI and the GraphQL `users(search:)`.
 *
 * One statement, `where <match> and username > <cursor> order by username limit n`, and the
 * planner chooses from the statistics: for a rare term the search indexes and a sort of the few
 * matches, for a common one the walk of `users_username_unique`, which ends with the page since
 * matches are dense. Matching first in every case (a CTE or `offset 0`) sorts every match: 0.4 s
 * at a million users for a term all of them match, against under 1 ms (docs/OPERATIONS.md
 * "Search indexes"; test/integration/explain.test.ts checks both plans).
 */
export async function listUsers(em: EntityManager, options: ListUsersOptions & { limit: number }): Promise<User[]> {
  const qb = em.createQueryBuilder(User).select('*');
  if (options.search) {
    const { sql, params } = searchCondition(USER_SEARCH_COLUMNS, options.search);
    qb.where(sql, params);
  }
  if (options.afterUsername !== undefined) qb.andWhere({ username: { $gt: options.afterUsername } });
  return qb.orderBy({ username: 'asc' }).limit(options.limit).getResultList();
}

export class UserService {
  constructor(private readonly em: EntityManager) {}

  async create(input: CreateUserInput): Promise<User> {
    const data = parse(createSchema, input);
    const passwordHash = data.password === undefined ? null : await hashPassword(data.password);
    try {
      return await this.em.fork().transactional(async (em) => {
        await assertNoLookalike(em, data.username);
        const user = em.create(User, {
          username: data.username,
          email: data.email ?? null,
          emailVerified: data.emailVerified ?? false,
          givenName: data.givenName ?? null,
          familyName: data.familyName ?? null,
          locale: data.locale ?? null,
          picture: data.picture ?? null,
          admin: data.admin ?? false,
          active: data.active ?? true,
          passwordHash,
        });
        await em.flush();
        return user;
      });
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw new UserError('ERR_USER_EXISTS', `a user named "${data.username}" already exists`, 'username');
      }
      throw e;
    }
  }

  /**
   * Self-registration (docs/ACCOUNTS.md "Registration"): a new account with `pendingVerification`
   * (its password signs in once the address is confirmed) and `issue` run in the same
   * transaction (the link's token), or, when an account has this address already (compared
   * without case), nothing: that account is returned, if active, for the notice mailed to it.
   * Registrations of one address are serialised by an advisory lock held until commit, so a
   * burst of them makes at most one account. A username taken or too alike: UserError `username`.
   */
  async register<T>(input: RegisterInput, issue: (em: EntityManager, user: User) => Promise<T>): Promise<Registration<T>> {
    const data = parse(registerSchema, input);
    const passwordHash = await hashPassword(data.password);
    try {
      return await this.em.fork().transactional(async (em): Promise<Registration<T>> => {
        await lockAddress(em, data.email);
        const holder = await addressHolder(em, data.email);
        if (holder) return { existing: holder.active ? holder : undefined };
        await assertNoLookalike(em, data.username);
        const user = em.create(User, { username: data.username, email: data.email, emailVerified: false, pendingVerification: true, active: true, admin: false, passwordHash });
        await em.flush();
        return { created: user, issued: await issue(em, user) };
      });
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw new UserError('ERR_USER_EXISTS', `a user named "${data.username}" already exists`, 'username');
      }
      throw e;
    }
  }

  /**
   * The address an administrator invites (docs/ACCOUNTS.md "Invitations"), checked as users'
   * addresses are (UserError `email`), trimmed.
   */
  checkEmail(email: string): string {
    return parse(z.object({ email: emailAddress }), { email }).email;
  }

  /**
   * Runs `fn` holding the lock of `email` (the one registrations of that address take) when no
   * user has the address (compared without case); otherwise UserError `email`: an administrator
   * inviting may know that the address has an account.
   */
  async withFreeAddress<T>(email: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.em.fork().transactional(async (em) => {
      await lockAddress(em, email);
      if (await addressHolder(em, email)) throw new UserError('ERR_USER_EXISTS', 'email: a user has this email address already', 'email');
      return fn(em);
    });
  }

  /**
   * The account of an accepted invitation to `email` (src/interaction/invitation.ts). In one
   * transaction: `claim` uses the link's token and names the address and admin flag it was sent
   * with, then the account is created with that address, `emailVerified` true (the link reached
   * it) and that flag. A username taken or too alike is UserError `username` and rolls
   * everything back, the token's use included, so the link stays usable. Undefined when the
   * token was spent, is not for `email`, or the address has had an account since the
   * invitation: nothing is created.
   *
   * The address's lock comes first, before the token's row, in the order an invitation takes
   * them (src/users/invitations.ts: the lock, then its older links): a re-invitation at the same
   * moment waits instead of deadlocking.
   */
  async acceptInvitation(email: string, input: { username: string; password: string }, claim: (em: EntityManager) => Promise<InvitationClaim | undefined>): Promise<User | undefined> {
    const data = parse(registerSchema.pick({ username: true, password: true }), input);
    const passwordHash = await hashPassword(data.password);
    try {
      return await this.em.fork().transactional(async (em) => {
        await lockAddress(em, email);
        const claimed = await claim(em);
        if (!claimed || claimed.email.toLowerCase() !== email.toLowerCase()) return undefined;
        if (await addressHolder(em, claimed.email)) return undefined;
        await assertNoLookalike(em, data.username);
        const user = em.create(User, { username: data.username, email: claimed.email, emailVerified: true, pendingVerification: false, active: true, admin: claimed.admin, passwordHash });
        await em.flush();
        return user;
      });
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw new UserError('ERR_USER_EXISTS', `a user named "${data.username}" already exists`, 'username');
      }
      throw e;
    }
  }

  /**
   * Why `name` cannot be a new username (taken, or too like one that is: see assertNoLookalike),
   * or undefined. A check before the answer; `register` checks again under its lock.
   */
  async usernameUnavailable(name: string): Promise<string | undefined> {
    try {
      await this.em.fork().transactional((em) => assertNoLookalike(em, normalizeUsername(name)));
      return undefined;
    } catch (e) {
      if (e instanceof UserError) return e.message.replace(/^username: /, '');
      throw e;
    }
  }

  /**
   * Confirms a user's email address through a mailed link (src/interaction/registration.ts).
   * `claim` uses the link's token inside the transaction and names its user and the address it
   * was sent to: the address is confirmed only while it is still the user's, and the account
   * no longer waits (its password signs in). Undefined when nothing was confirmed.
   */
  async verifyEmail(claim: (em: EntityManager) => Promise<{ userId: string; email: string } | undefined>): Promise<User | undefined> {
    return this.em.fork().transactional(async (em) => {
      const claimed = await claim(em);
      const user = claimed ? await em.findOne(User, { id: claimed.userId, active: true }) : null;
      if (!user || !claimed || user.email?.toLowerCase() !== claimed.email.toLowerCase()) return undefined;
      user.emailVerified = true;
      user.pendingVerification = false;
      await em.flush();
      await revokeAccountTokens(em, user.id, 'email-verification');
      return user;
    });
  }

  async findByUsername(name: string): Promise<User | null> {
    return this.em.fork().findOne(User, { username: normalizeUsername(name) });
  }

  async findById(id: string): Promise<User | null> {
    if (!isUserId(id)) return null;
    return this.em.fork().findOne(User, { id });
  }

  async list(options: ListUsersOptions = {}): Promise<User[]> {
    return listUsers(this.em.fork(), { ...options, limit: Math.min(Math.max(options.limit ?? 100, 1), 1000) });
  }

  /** Disabling a user ends their sessions and grants: re-enabling does not revive old tokens. */
  async update(ref: UserRef, input: UpdateUserInput): Promise<User> {
    const data = parse(updateSchema, input);
    return this.em.fork().transactional(async (em) => {
      const user = await this.mustFind(em, ref);
      const disabling = data.active === false && user.active;
      em.assign(user, Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
      // An administrator who vouches for the address lets a self-registered account sign in.
      if (data.emailVerified === true) user.pendingVerification = false;
      await em.flush();
      if (disabling) await endSessionsAndGrants(em, user.id);
      return user;
    });
  }

  /** A user's own changes to their profile (the `updateMe` mutation). */
  async updateProfile(ref: UserRef, input: UpdateProfileInput): Promise<User> {
    const data = parse(profileSchema, input);
    const em = this.em.fork();
    const user = await this.mustFind(em, ref);
    em.assign(user, Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
    await em.flush();
    return user;
  }

  /**
   * A new password ends every session and grant of the user, so that whoever knew the old one
   * loses access (RFC 9700 §4.14.2; docs/SECURITY.md TK-21).
   */
  async setPassword(ref: UserRef, newPassword: string | null): Promise<User> {
    const hash = newPassword === null ? null : await hashPassword(parse(z.object({ password }), { password: newPassword }).password);
    return this.em.fork().transactional(async (em) => {
      const user = await this.mustFind(em, ref);
      user.passwordHash = hash;
      await em.flush();
      await endSessionsAndGrants(em, user.id);
      // A reset link asked for before this change must not undo it.
      await revokeAccountTokens(em, user.id, 'password-reset');
      return user;
    });
  }

  /** Refuses a new password the rules refuse (as `setPassword` and the CLI), naming `field`; nothing else is checked. */
  checkNewPassword(newPassword: string, field = 'newPassword'): void {
    parse(z.object({ [field]: password }), { [field]: newPassword });
  }

  /**
   * Refuses, as field `currentPassword`, a password that is not the active user's — with the same
   * scrypt work whether or not the user has one (docs/SECURITY.md SE-05). Returns the hash it was
   * checked against, for a compare-and-set. The caller throttles the attempts.
   */
  async confirmPassword(userId: string, currentPassword: string): Promise<string> {
    const user = isUserId(userId) ? await this.em.fork().findOne(User, { id: userId, active: true }) : null;
    const stored = user?.passwordHash ?? null;
    const checked = currentPassword.length > 0 && currentPassword.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(currentPassword, stored ?? (await dummyPasswordHash())));
    if (!checked || stored === null) throw wrongCurrentPassword();
    return stored;
  }

  /** The new address as it will be stored (trimmed), or UserError `email`: malformed, or `current` again (without case). */
  checkNewEmail(email: string, current: string | null): string {
    const { email: wanted } = parse(z.object({ email: newEmail }), { email });
    if (current?.toLowerCase() === wanted.toLowerCase()) throw new UserError('ERR_USER_INVALID', 'email: this is the address of your account already', 'email');
    return wanted;
  }

  /**
   * A user asking to move their account to `email` (the `changeMyEmail` mutation; docs/ACCOUNTS.md
   * "Changing the email address"): nothing changes until the new address confirms it through
   * the link that `issue` makes (inside the transaction, after the user's earlier email-change
   * links are ended). Under the address's advisory lock, as registrations: an address that another
   * account holds (compared without case) is `taken` and no link is made. The user's own address
   * again: UserError `email`. Only the account's own address is checked, not its holder's.
   */
  async requestEmailChange<T>(userId: string, email: string, issue: (em: EntityManager, user: User, email: string) => Promise<T>): Promise<EmailChangeRequest<T>> {
    return this.em.fork().transactional(async (em) => {
      const user = isUserId(userId) ? await em.findOne(User, { id: userId, active: true }) : null;
      if (!user) throw new UserError('ERR_USER_NOT_FOUND', 'no such user', 'id');
      const wanted = this.checkNewEmail(email, user.email ?? null);
      await lockAddress(em, wanted);
      if (await addressHolder(em, wanted, user.id)) return { taken: true as const };
      await revokeAccountTokens(em, user.id, 'email-change');
      return { issued: await issue(em, user, wanted) };
    });
  }

  /**
   * The new address confirmed through its link (src/interaction/email-change.ts). `claim` uses the
   * link's token inside the transaction and names its user, the new address and the address the
   * account had when the link was asked for. The change happens only while that is still the
   * account's address (a later change or an administrator's edit voids the link) and while no
   * other account took the new one meanwhile (`taken`); the address is then verified, and the
   * user's other email-change links end. Undefined when the link names no active user.
   */
  async changeEmail(claim: (em: EntityManager) => Promise<{ userId: string; email: string; previous: string | null } | undefined>): Promise<EmailChanged | { taken: true } | undefined> {
    return this.em.fork().transactional(async (em) => {
      const claimed = await claim(em);
      if (!claimed) return undefined;
      await lockAddress(em, claimed.email);
      const user = await em.findOne(User, { id: claimed.userId, active: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!user || (user.email ?? null)?.toLowerCase() !== claimed.previous?.toLowerCase()) return undefined;
      if (await addressHolder(em, claimed.email, user.id)) return { taken: true as const };
      const previous = user.email ?? null;
      user.email = claimed.email;
      user.emailVerified = true;
      await em.flush();
      await revokeAccountTokens(em, user.id, 'email-change');
      return { user, previous };
    });
  }

  /**
   * A user changing their own password (the `changeMyPassword` mutation): `currentPassword` must
   * be the user's password (`confirmPassword`) and `newPassword` pass the rules of `setPassword`
   * (field `newPassword`). The caller throttles the attempts.
   *
   * Compare-and-set: the row is locked and its hash must still be the one `currentPassword` was
   * checked against, so of parallel changes that all knew the old password exactly one sets its
   * new one; the others find the password changed and are refused as a wrong `currentPassword`.
   * Ends the user's password-reset links always, and the other sessions and grants with
   * `options.endOthers` (RFC 9700 §4.14.2; docs/SECURITY.md TK-21), in the same transaction.
   */
  async changePassword(userId: string, currentPassword: string, newPassword: string, options: ChangePasswordOptions): Promise<User> {
    this.checkNewPassword(newPassword);
    const stored = await this.confirmPassword(userId, currentPassword);
    const hash = await hashPassword(newPassword);
    return this.em.fork().transactional(async (em) => {
      const locked = await em.findOne(User, { id: userId, active: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!locked || locked.passwordHash !== stored) throw wrongCurrentPassword();
      locked.passwordHash = hash;
      await em.flush();
      if (options.endOthers) await endSessionsAndGrants(em, userId, options.keep);
      await revokeAccountTokens(em, userId, 'password-reset');
      return locked;
    });
  }

  /**
   * A password chosen through a mailed link (src/interaction/password-reset.ts). `claim` uses the
   * link's token inside the transaction and names its user, so the token is spent exactly when
   * the password changes; undefined when it names no active user (nothing changes then). Ends
   * every session and grant of the user, and their other reset links. A self-registered account
   * still waiting for its address is confirmed by it.
   */
  async resetPassword(newPassword: string, claim: (em: EntityManager) => Promise<string | undefined>): Promise<User | undefined> {
    const hash = await hashPassword(parse(z.object({ password }), { password: newPassword }).password);
    return this.em.fork().transactional(async (em) => {
      const userId = await claim(em);
      const user = userId ? await em.findOne(User, { id: userId, active: true }) : null;
      if (!user) return undefined;
      user.passwordHash = hash;
      // The link went to the account's address: for a self-registered account still waiting,
      // that confirms the address as its own link would (docs/ACCOUNTS.md "Registration").
      if (user.pendingVerification && user.email) {
        user.pendingVerification = false;
        user.emailVerified = true;
      }
      await em.flush();
      await endSessionsAndGrants(em, user.id);
      await revokeAccountTokens(em, user.id, 'password-reset');
      return user;
    });
  }

  async delete(ref: UserRef): Promise<void> {
    const em = this.em.fork();
    const user = await this.mustFind(em, ref);
    await em.remove(user).flush();
  }

  /** The user `ref` names, or UserError ERR_USER_NOT_FOUND. */
  find(ref: UserRef): Promise<User> {
    return this.mustFind(this.em.fork(), ref);
  }

  private async mustFind(em: EntityManager, ref: UserRef): Promise<User> {
    if (typeof ref === 'object' && 'id' in ref) {
      const user = isUserId(ref.id) ? await em.findOne(User, { id: ref.id }) : null;
      if (!user) throw new UserError('ERR_USER_NOT_FOUND', 'no such user', 'id');
      return user;
    }
    const name = normalizeUsername(typeof ref === 'string' ? ref : ref.username);
    const user = await em.findOne(User, { username: name });
    if (!user) throw new UserError('ERR_USER_NOT_FOUND', `no user named "${name}"`, 'username');
    return user;
  }
}

/**
 * Refuses a new username that reads the same as an existing one: equal confusable skeletons
 * (confusables.ts), whatever the scripts, e.g. Cyrillic "асе" beside Latin "ace". Usernames never
 * change after creation; a rename would have to pass here too.
 *
 * Cost: no skeleton column (and so no migration). A name of ASCII characters only is its own
 * skeleton (no look-alike is ASCII), so those rows need just the unique index (`username = ?`);
 * the others are found by one sequential scan that tests a cheap LIKE pattern (which fixes the
 * length and every character no look-alike passes for) and computes `translate()` only for the
 * non-ASCII rows that pass it (the OFFSET 0 keeps that order). Measured at 100,000 users: about
 * 15 ms of scan per creation, acceptable for a rare administrative write; at millions of users a
 * stored skeleton with an index would be the better trade.
 *
 * The advisory lock, keyed by the skeleton and held until commit, serialises creations of names
 * that read the same, so two of them created at once cannot both pass the check.
 */
async function assertNoLookalike(em: EntityManager, username: string): Promise<void> {
  const skel = skeleton(username);
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 7))', [`username:${skel}`]);
  const [found] = await em.execute<{ username: string }[]>(
    `select username from (
       select username from users where username = ?
       union all
       select username from (
         select username from users where username like ? and octet_length(username) <> char_length(username) offset 0
       ) non_ascii where translate(username, ?, ?) = ?
     ) found order by username = ? desc limit 1`,
    [skel, skeletonPattern(skel), SKELETON_FROM, SKELETON_TO, skel, username],
  );
  if (!found) return;
  if (found.username === username) throw new UserError('ERR_USER_EXISTS', `a user named "${username}" already exists`, 'username');
  throw new UserError('ERR_USER_EXISTS', `username: looks the same as the existing user "${found.username}"`, 'username');
}

const wrongCurrentPassword = () => new UserError('ERR_USER_INVALID', 'currentPassword: incorrect password', 'currentPassword');

/** An ILIKE pattern matching `text` exactly, without case: its wildcards escaped. */
const likeExactly = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * Serialises, until commit, what decides who has an address (registrations, invitations, a
 * confirmed email change), so that of two at once the second sees the first's account
 * (docs/SECURITY.md RG-07, EC-05).
 */
async function lockAddress(em: EntityManager, email: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 7))', [`email:${email.toLowerCase()}`]);
}

/** The user that has `email` (compared without case), other than `except`: the active one first, the oldest first. */
async function addressHolder(em: EntityManager, email: string, except?: string): Promise<User | undefined> {
  const where = { email: { $ilike: likeExactly(email) }, ...(except ? { id: { $ne: except } } : {}) };
  const holders = await em.find(User, where, { orderBy: { active: 'desc', createdAt: 'asc' }, limit: 1 });
  return holders[0];
}

/**
 * Revokes the user's grants (their refresh and access tokens die) and deletes their sessions,
 * through the provider's stores; `keep` spares one grant and one session.
 */
async function endSessionsAndGrants(em: EntityManager, userId: string, keep: ChangePasswordOptions['keep'] = {}): Promise<void> {
  await revokeGrantsOfUser(em, userId, new Date(), keep.grantId);
  await deleteSessionsOfUser(em, userId, keep.sid ?? undefined);
}

/** Validates with zod and turns the first problem into a `UserError` naming the field. */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || undefined;
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
  throw new UserError('ERR_USER_INVALID', field ? `${field}: ${message}` : message, field);
}

/** The public view of a user: never the password hash. */
export function publicUser(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email ?? null,
    emailVerified: user.emailVerified,
    givenName: user.givenName ?? null,
    familyName: user.familyName ?? null,
    locale: user.locale ?? null,
    picture: user.picture ?? null,
    active: user.active,
    admin: user.admin,
    hasPassword: user.passwordHash != null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
