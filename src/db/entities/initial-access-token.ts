import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An initial access token (RFC 7591 §3): made by an administrator, it lets its bearer register
 * clients at `/register` under JWT_OIDC_REGISTRATION_POLICY=initial-token, until it expires or
 * its uses are spent. Only its SHA-256 is stored; each use takes one in a conditional UPDATE
 * (src/clients/initial-access-token-store.ts), so that a burst never exceeds `remainingUses`.
 */
@Entity({ tableName: 'initial_access_tokens' })
// Housekeeping deletes the expired ones (src/provider/stores/expiring-tables.ts).
@Index({ properties: ['expiresAt'] })
export class InitialAccessToken {
  [OptionalProps]?: 'createdAt';

  /** SHA-256 of the token, base64url. */
  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @Property({ type: 'integer' })
  remainingUses!: number;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
