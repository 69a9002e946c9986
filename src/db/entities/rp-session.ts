import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** client mode: a browser's session at this relying party (the PostgresSessionStore of @jwt-oidc/express; this table is its own, made by our migrations). */
@Entity({ tableName: 'jwt_oidc_rp_sessions' })
@Index({ properties: ['expiresAt'] })
export class RpSession {
  /** SHA-256 of the cookie value. */
  @PrimaryKey({ type: 'string', length: 64 })
  idHash!: string;

  /** Transactions, tokens and claims. Never serialised. */
  @Property({ type: 'json', hidden: true })
  data!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
