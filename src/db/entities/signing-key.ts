import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A signing key of the provider. Its state follows from its timestamps alone, so every instance
 * reading the same rows agrees: published from `createdAt`, signing from `activatesAt`, verifying
 * only from `retiresAt` (= the successor's `activatesAt`), gone at `deletesAt`.
 */
@Entity({ tableName: 'signing_keys' })
@Index({ properties: ['family'] })
export class SigningKey {
  /** RFC 7638 JWK thumbprint of the public key. */
  @PrimaryKey({ type: 'string', length: 64 })
  kid!: string;

  /** `primary` (SIGNATURE_ALG) or `rs256` (kept for clients that need RS256 ID tokens). */
  @Property({ type: 'string', length: 16 })
  family!: string;

  @Property({ type: 'string', length: 8 })
  alg!: string;

  /** Public members only. */
  @Property({ type: 'json' })
  publicJwk!: Record<string, string>;

  /** PKCS#8, AES-256-GCM encrypted (keys/encryption.ts). Never serialised. */
  @Property({ type: 'text', hidden: true })
  privateKey!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  activatesAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  retiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  deletesAt?: Date | null;
}
