import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A person who can log in at the provider (or a user provisioned by client mode). Usernames are
 * stored mapped per RFC 8265 §3.3 (width, case, NFC: src/users/precis.ts), so "Alice", "ALICE"
 * and "ａｌｉｃｅ" are one account; new ones are refused when they mix scripts or look like an
 * existing one.
 *
 * The administration's search (src/db/search.ts) has a trigram index (pg_trgm) and a prefix
 * index on each column it looks in (docs/OPERATIONS.md "Search indexes").
 */
@Entity({ tableName: 'users' })
@Index({ name: 'users_username_trgm', expression: 'create index "users_username_trgm" on "users" using gin ("username" gin_trgm_ops)' })
@Index({ name: 'users_username_prefix', expression: 'create index "users_username_prefix" on "users" (lower("username") text_pattern_ops)' })
@Index({ name: 'users_email_trgm', expression: 'create index "users_email_trgm" on "users" using gin ("email" gin_trgm_ops)' })
@Index({ name: 'users_email_prefix', expression: 'create index "users_email_prefix" on "users" (lower("email") text_pattern_ops)' })
@Index({ name: 'users_given_name_trgm', expression: 'create index "users_given_name_trgm" on "users" using gin ("given_name" gin_trgm_ops)' })
@Index({ name: 'users_given_name_prefix', expression: 'create index "users_given_name_prefix" on "users" (lower("given_name") text_pattern_ops)' })
@Index({ name: 'users_family_name_trgm', expression: 'create index "users_family_name_trgm" on "users" using gin ("family_name" gin_trgm_ops)' })
@Index({ name: 'users_family_name_prefix', expression: 'create index "users_family_name_prefix" on "users" (lower("family_name") text_pattern_ops)' })
export class User {
  [OptionalProps]?: 'emailVerified' | 'pendingVerification' | 'active' | 'admin' | 'attributes' | 'createdAt' | 'updatedAt';

  /**
   * The subject (`sub`, OIDC Core §2: locally unique, never reassigned): a random UUID for the
   * accounts the service creates; the fake mode's sign-in uses the subject typed (any visible
   * ASCII, 255 at most: docs/ARCHITECTURE.md "The fake mode").
   */
  @PrimaryKey({ type: 'string', length: 255 })
  id: string = randomUUID();

  @Property({ type: 'string', length: 150, unique: true })
  username!: string;

  @Property({ type: 'string', length: 320, nullable: true })
  email?: string | null;

  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;

  /**
   * A self-registered account whose email address is not confirmed yet (docs/ACCOUNTS.md
   * "Registration"): its password does not sign in until the mailed link is opened. False for
   * every account an administrator or the CLI creates, and for all accounts made before.
   */
  @Property({ type: 'boolean', default: false })
  pendingVerification: boolean = false;

  @Property({ type: 'string', length: 255, nullable: true })
  givenName?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  familyName?: string | null;

  /** BCP 47 language tag. */
  @Property({ type: 'string', length: 35, nullable: true })
  locale?: string | null;

  @Property({ type: 'string', length: 2048, nullable: true })
  picture?: string | null;

  /** Inactive users cannot log in and their tokens stop working. */
  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  /** May obtain the `admin` scope. */
  @Property({ type: 'boolean', default: false })
  admin: boolean = false;

  /** scrypt, PHC format (see users/password.ts); null: no password login. Never serialised. */
  @Property({ type: 'string', length: 255, nullable: true, hidden: true, lazy: false })
  passwordHash?: string | null;

  /** Further attributes (client mode, per-client claims). */
  @Property({ type: 'json', default: '{}' })
  attributes: Record<string, unknown> = {};

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
