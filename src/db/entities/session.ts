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
  [OptionalProps]?: 'createdAt' | 'amr' | 'userAgent' | 'ip';

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

  /**
   * The browser's `User-Agent` when the session started (its first 255 characters), shown to the
   * user beside their sessions (`Me.sessions`); null when it sent none. Kept no longer than the
   * session: the row goes when it ends or expires.
   */
  @Property({ type: 'string', length: 255, nullable: true })
  userAgent?: string | null;

  /** The client address the session started from (behind trusted proxies: the forwarded one); null when unknown. */
  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;
}
