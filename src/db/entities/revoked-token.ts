import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An access token revoked by its `jti` (RFC 7009), remembered until it would have expired
 * anyway; then housekeeping deletes the row.
 */
@Entity({ tableName: 'revoked_tokens' })
@Index({ properties: ['expiresAt'] })
export class RevokedToken {
  @PrimaryKey({ type: 'string', length: 64 })
  jti!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
