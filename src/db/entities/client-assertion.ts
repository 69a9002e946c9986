import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A client assertion's `jti`, used once (RFC 7523 §3 item 7; OIDC Core §9): remembered until
 * the assertion's `exp`, across every instance on the database; then housekeeping deletes it.
 */
@Entity({ tableName: 'client_assertions' })
@Index({ properties: ['expiresAt'] })
export class ClientAssertion {
  @PrimaryKey({ type: 'string', length: 128 })
  clientId!: string;

  /** The assertion's `jti`, as sent (at most 255 characters: longer ones are refused). */
  @PrimaryKey({ type: 'string', length: 255 })
  jti!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
