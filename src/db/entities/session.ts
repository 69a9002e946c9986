import { Entity, ManyToOne, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './user.js';

/**
 * A browser's login session at the provider. The cookie holds a 256-bit random value; the row
 * is keyed by its SHA-256, so the table alone cannot be replayed as cookies.
 */
@Entity({ tableName: 'sessions' })
@Index({ properties: ['userId'] })
@Index({ properties: ['expiresAt'] })
export class Session {
  [OptionalProps]?: 'createdAt' | 'amr';

  /** SHA-256 of the cookie value, base64url. */
  @PrimaryKey({ type: 'string', length: 64 })
  idHash!: string;

  /** Public session id for the ID token's `sid` (OIDC Front-/Back-Channel Logout). */
  @Property({ type: 'string', length: 64, unique: true })
  sid!: string;

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  /** When the user last authenticated (OIDC `auth_time`). */
  @Property({ type: 'datetime' })
  authTime!: Date;

  @Property({ type: 'json', default: '["pwd"]' })
  amr: string[] = ['pwd'];

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
