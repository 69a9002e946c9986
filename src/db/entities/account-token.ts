import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A single-use token sent by mail (password reset, email verification, invitation): only its
 * SHA-256 digest is stored, so the table's rows open nothing. Used once (`usedAt`), valid until
 * `expiresAt`, gone with its user; an invitation has no user yet (its address is in `data`).
 * Housekeeping deletes expired rows.
 * Read and written by src/users/account-tokens.ts only.
 */
@Entity({ tableName: 'account_tokens' })
@Index({ properties: ['userId', 'kind'] })
@Index({ properties: ['expiresAt'] })
export class AccountToken {
  /** SHA-256 (base64url) of the token in the link. */
  @PrimaryKey({ type: 'string', length: 64 })
  digest!: string;

  /** `password-reset`, `email-verification`, `invitation`. */
  @Property({ type: 'string', length: 32 })
  kind!: string;

  /** The user the link acts for; null for an invitation, whose account does not exist yet. */
  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade', nullable: true })
  userId?: string | null;

  /** What the link carries: the sign-in interaction it was asked from, an invitation's address and admin flag. */
  @Property({ type: 'json', nullable: true })
  data?: Record<string, unknown> | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;
}
