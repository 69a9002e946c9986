import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A protected resource that clients may name with the `resource` parameter (RFC 8707): its
 * identifier is an absolute URI without a fragment (§2), which becomes the exact `aud` of its
 * access tokens; the scopes it lists are the only ones its tokens carry.
 */
@Entity({ tableName: 'resources' })
export class Resource {
  [OptionalProps]?: 'accessTokenLifetime' | 'alg' | 'createdAt';

  /** The resource indicator, stored and compared byte for byte. */
  @PrimaryKey({ type: 'string', length: 2048 })
  id!: string;

  /** The scopes its access tokens may carry. */
  @Property({ type: 'json' })
  scopes!: string[];

  /** Seconds its access tokens live; null: JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME. */
  @Property({ type: 'integer', nullable: true })
  accessTokenLifetime?: number | null;

  /** The JWS algorithm its access tokens are signed with; null: the provider's SIGNATURE_ALG. */
  @Property({ type: 'string', length: 16, nullable: true })
  alg?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
