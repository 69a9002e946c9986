import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A single-use token sent to a user by mail (password reset, email verification; later
 * invitations): only its SHA-256 digest is stored, so the table's rows open nothing. Used once
 * (`usedAt`), valid until `expiresAt`, gone with its user; housekeeping deletes expired rows.
 * Read and written by src/users/account-tokens.ts only.
 */
@Entity({ tableName: 'account_tokens' })
@Index({ properties: ['userId', 'kind'] })
@Index({ properties: ['expiresAt'] })
export class AccountToken {
  /** SHA-256 (base64url) of the token in the link. */
  @PrimaryKey({ type: 'string', length: 64 })
  digest!: string;

  /** `password-reset`, `email-verification`. */
  @Property({ type: 'string', length: 32 })
  kind!: string;

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  /** What the link continues: the sign-in interaction it was asked from, for one. */
  @Property({ type: 'json', nullable: true })
  data?: Record<string, unknown> | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;
}
