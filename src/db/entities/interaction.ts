import { Entity, ManyToOne, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * An authorization request waiting for the user: login and/or consent. Bound to the browser
 * that started it by a cookie (its SHA-256 is stored), and protected by a CSRF token.
 */
@Entity({ tableName: 'interactions' })
@Index({ properties: ['expiresAt'] })
@Index({ properties: ['userId'] })
export class Interaction {
  [OptionalProps]?: 'createdAt' | 'userId' | 'authTime' | 'sessionHash' | 'login' | 'firstFactor' | 'passkeyChallenge' | 'passkeyChallengeAt';

  /** Public id, in the URL (`/interaction/<uid>`). */
  @PrimaryKey({ type: 'string', length: 64 })
  uid!: string;

  /** SHA-256 of the interaction cookie. */
  @Property({ type: 'string', length: 64 })
  cookieHash!: string;

  /** SHA-256 of the CSRF token of the forms. */
  @Property({ type: 'string', length: 64 })
  csrfHash!: string;

  /** The validated authorization request, or the logout request, that waits for the user. */
  @Property({ type: 'json' })
  request!: object;

  /** Who logged in during this interaction (login done), and when. */
  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade', nullable: true })
  userId?: string | null;

  @Property({ type: 'datetime', nullable: true })
  authTime?: Date | null;

  /** How the user authenticated, from a delegated login app: `{ acr, amr, remember }`. */
  @Property({ type: 'json', nullable: true })
  login?: { acr?: string | null; amr?: string[] | null; remember?: boolean; rejected?: { error: string; description: string } } | null;

  /**
   * The first factor, when a second one is still to come (docs/ACCOUNTS.md "Two-step sign-in"):
   * who gave the right password, how (`amr`, RFC 8176) and when. No session exists yet (or, for
   * a step-up, the live session is not upgraded yet); the interaction's lifetime bounds the step.
   */
  @Property({ type: 'json', nullable: true })
  firstFactor?: { userId: string; amr: string[]; at: number; stepUp?: boolean } | null;

  /**
   * The challenge of the passkey ceremony this interaction's page offers (base64url, WebAuthn L2
   * §13.4.3), and when it was issued: spent by one conditional UPDATE (src/provider/stores/
   * interaction-store.ts `takePasskeyChallenge`), so one assertion is accepted once.
   */
  @Property({ type: 'string', length: 128, nullable: true })
  passkeyChallenge?: string | null;

  @Property({ type: 'datetime', nullable: true })
  passkeyChallengeAt?: Date | null;

  /** The session that existed when the interaction started (to detect an account change). */
  @Property({ type: 'string', length: 64, nullable: true })
  sessionHash?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
