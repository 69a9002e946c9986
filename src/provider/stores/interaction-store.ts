/**
 * Pending interactions (an authorization request waiting for login or consent), bound to the
 * browser by a cookie and protected by a CSRF token; both stored as digests. Ten minutes, once.
 */
import { safeEqual } from '../../util/safe-equal.js';
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';
import { Interaction } from '../../db/entities/interaction.js';
import { digest, newOpaqueValue } from './secrets.js';
import { isInteractionRequest, type InteractionRequest } from './interaction-request.js';

export const INTERACTION_TTL_MS = 10 * 60 * 1000;

export interface DelegatedLogin {
  acr?: string | null;
  amr?: string[] | null;
  remember?: boolean;
  rejected?: { error: string; description: string };
}

/** Who gave the first factor (the password), how (`amr`, RFC 8176) and when (ms). */
export interface FirstFactor {
  userId: string;
  amr: string[];
  at: number;
  /** A step-up of the browser's live session (the interaction's `sessionHash`), not a new sign-in. */
  stepUp?: boolean;
  /**
   * The user has no second factor and the policy asks one (JWT_OIDC_MFA=required, a client's
   * requireMfa): it is set up in this interaction (src/interaction/enrolment.ts).
   */
  enrol?: boolean;
  /** That set-up's pending TOTP enrolment (`user_factors.id`), once shown. */
  enrolment?: string;
  /** That set-up's pending passkey registration (`user_factors.id`): the one its page shows last. */
  passkeyEnrolment?: string;
}

export interface PendingInteraction {
  uid: string;
  request: InteractionRequest;
  /** From a delegated login: how the user authenticated, or the login app's refusal. */
  login: DelegatedLogin | null;
  userId: string | null;
  /** The first factor given, while the second is asked (docs/ACCOUNTS.md "Two-step sign-in"). */
  firstFactor: FirstFactor | null;
  authTime: number | null;
  sessionHash: string | null;
  expiresAt: number;
}

export class InteractionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {}

  /** `login`: the browser's session when only consent is missing (the user is logged in). */
  /** `firstFactor`: a step-up — the session's user is to give a second factor (docs/ACCOUNTS.md "Two-step sign-in"). */
  async create(request: InteractionRequest, sessionHash: string | null, login?: { userId: string; authTime: number }, firstFactor?: FirstFactor): Promise<{ uid: string; cookieValue: string; csrfToken: string }> {
    const uid = randomBytes(16).toString('base64url');
    const cookieValue = newOpaqueValue();
    const csrfToken = newOpaqueValue();
    const em = this.orm.em.fork();
    em.create(Interaction, {
      uid,
      cookieHash: digest(cookieValue),
      csrfHash: digest(csrfToken),
      request,
      sessionHash,
      userId: login?.userId ?? null,
      authTime: login ? new Date(login.authTime) : null,
      firstFactor: firstFactor ?? null,
      expiresAt: new Date(this.clock.now() + INTERACTION_TTL_MS),
    });
    await em.flush();
    return { uid, cookieValue, csrfToken };
  }

  /**
   * The interaction `uid`, if it is live and this browser's (its cookie matches) and, for form
   * posts, the CSRF token matches too. Anything else: undefined (docs/SECURITY.md SE-03).
   */
  async find(uid: string, cookieValue: string | undefined, csrfToken?: string): Promise<PendingInteraction | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(uid) || !cookieValue) return undefined;
    const row = await this.orm.em.fork().findOne(Interaction, { uid, expiresAt: { $gt: new Date(this.clock.now()) } });
    if (!row || !safeEqual(row.cookieHash, digest(cookieValue))) return undefined;
    if (csrfToken !== undefined && !safeEqual(row.csrfHash, digest(csrfToken))) return undefined;
    return toPending(row);
  }

  /** A fresh CSRF token for the next form of the same interaction. */
  async renewCsrf(uid: string): Promise<string> {
    const csrfToken = newOpaqueValue();
    await this.orm.em.fork().nativeUpdate(Interaction, { uid }, { csrfHash: digest(csrfToken) });
    return csrfToken;
  }

  async loggedIn(uid: string, userId: string, authTime: number, sessionHash: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Interaction, { uid }, { userId, authTime: new Date(authTime), sessionHash });
  }

  /**
   * Binds a new session to the interaction, once: of parallel logins (a double-clicked form, a
   * login app's URL opened twice) exactly one starts a session. `userId` must be the one the
   * interaction already names (a delegated login) or none yet (the built-in form).
   */
  async claimSession(uid: string, userId: string, authTime: number, sessionHash: string, delegated: boolean, login?: DelegatedLogin): Promise<boolean> {
    // Built-in form: nobody signed in on it yet (the session the browser had when it was parked
    // may be recorded). Delegated: the answered user, whose session has not started yet.
    const now = { $gt: new Date(this.clock.now()) };
    const where = delegated ? { uid, userId, sessionHash: null, expiresAt: now } : { uid, userId: null, expiresAt: now };
    return (await this.orm.em.fork().nativeUpdate(Interaction, where, { userId, authTime: new Date(authTime), sessionHash, ...(login ? { login } : {}) })) === 1;
  }

  /**
   * Records the first factor of a user who has a second one, or is to set one up: no session
   * yet. Only while nobody signed in on this interaction (the set-up records its enrolment so).
   */
  async firstFactorGiven(uid: string, first: FirstFactor): Promise<boolean> {
    return (await this.orm.em.fork().nativeUpdate(Interaction, { uid, userId: null, expiresAt: { $gt: new Date(this.clock.now()) } }, { firstFactor: first })) === 1;
  }

  /**
   * Keeps `challenge` as the passkey ceremony this interaction's page offers (WebAuthn L2 §13.4.3),
   * replacing the one of an earlier rendering of the page.
   */
  async offerPasskeyChallenge(uid: string, challenge: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Interaction, { uid }, { passkeyChallenge: challenge, passkeyChallengeAt: new Date(this.clock.now()) });
  }

  /**
   * Spends the interaction's passkey challenge, if it is `challenge` and was issued after
   * `since` and the interaction is live: one conditional UPDATE, so of parallel posts of one
   * assertion exactly one gets true (a replayed assertion is refused before it is verified).
   */
  async takePasskeyChallenge(uid: string, challenge: string, since: number): Promise<boolean> {
    const where = { uid, passkeyChallenge: challenge, passkeyChallengeAt: { $gt: new Date(since) }, expiresAt: { $gt: new Date(this.clock.now()) } };
    return (await this.orm.em.fork().nativeUpdate(Interaction, where, { passkeyChallenge: null, passkeyChallengeAt: null })) === 1;
  }

  /** A live interaction by its uid alone: for the delegated login app, which has no browser cookie. */
  async byChallenge(uid: string): Promise<PendingInteraction | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(uid)) return undefined;
    const row = await this.orm.em.fork().findOne(Interaction, { uid, expiresAt: { $gt: new Date(this.clock.now()) } });
    return row ? toPending(row) : undefined;
  }

  /**
   * The delegated login app's answer, once: a user (the session starts when the browser comes
   * back) or a refusal. False when the challenge was already answered.
   */
  async answer(uid: string, answer: { userId: string; authTime: number; login: DelegatedLogin } | { login: DelegatedLogin }): Promise<boolean> {
    const values = 'userId' in answer ? { userId: answer.userId, authTime: new Date(answer.authTime), sessionHash: null, login: answer.login } : { login: answer.login };
    const updated = await this.orm.em.fork().nativeUpdate(Interaction, { uid, userId: null, login: null, expiresAt: { $gt: new Date(this.clock.now()) } }, values);
    return updated === 1;
  }

  /** Ends the interaction; true only for the caller that ended it (single use). */
  async finish(uid: string): Promise<boolean> {
    return (await this.orm.em.fork().nativeDelete(Interaction, { uid })) === 1;
  }
}

/** A row as the pages see it; undefined when its payload is not an interaction's. */
function toPending(row: Interaction): PendingInteraction | undefined {
  if (!isInteractionRequest(row.request)) return undefined;
  return { uid: row.uid, request: row.request, login: row.login ?? null, userId: row.userId ?? null, firstFactor: row.firstFactor ?? null, authTime: row.authTime?.getTime() ?? null, sessionHash: row.sessionHash ?? null, expiresAt: row.expiresAt.getTime() };
}
