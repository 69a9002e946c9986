import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A second factor of a user (docs/ACCOUNTS.md "Two-step sign-in"). `kind` names what the row
 * holds: `totp` (RFC 6238) keeps its shared secret encrypted (`secret`) and the last time step
 * accepted (`totpLastStep`); a later `passkey` kind keeps its credential in columns of its own
 * beside these, so the list of a user's factors stays one table. A row without `confirmedAt` is
 * an enrolment not finished yet: it signs nobody in and expires (src/users/factors.ts).
 * Read and written by src/users/factor-store.ts only.
 */
@Entity({ tableName: 'user_factors' })
@Index({ properties: ['userId', 'kind'] })
export class UserFactor {
  [OptionalProps]?: 'confirmedAt' | 'lastUsedAt' | 'totpLastStep' | 'secret';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  /** `totp`; later `passkey`. */
  @Property({ type: 'string', length: 16 })
  kind!: string;

  /** What the user called it ("Phone"). */
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** Null while the enrolment waits for its first code. */
  @Property({ type: 'datetime', nullable: true })
  confirmedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  /**
   * The TOTP shared secret, encrypted at rest under JWT_OIDC_KEY_ENCRYPTION_SECRET and bound to
   * this row's id (src/keys/encryption.ts): the table alone computes no codes.
   */
  @Property({ type: 'text', nullable: true })
  secret?: string | null;

  /** The last TOTP time step accepted: a code of that step or an earlier one is refused (RFC 6238 §5.2). */
  @Property({ type: 'bigint', nullable: true })
  totpLastStep?: string | null;
}
