import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A recovery code of a user with a second factor (docs/ACCOUNTS.md "Two-step sign-in"): only its
 * SHA-256 digest is stored, each is used once (`usedAt`), and a new set replaces the old one.
 * Read and written by src/users/recovery-codes.ts only.
 */
@Entity({ tableName: 'recovery_codes' })
export class RecoveryCode {
  [OptionalProps]?: 'usedAt';

  /** SHA-256 (base64url) of the code, as typed without spaces or dashes. */
  @PrimaryKey({ type: 'string', length: 64 })
  digest!: string;

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade', index: true })
  userId!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;
}
