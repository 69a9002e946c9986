import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A DPoP proof already accepted (RFC 9449 §11.1): its key's thumbprint and its `jti`, remembered
 * while its `iat` would still be accepted, across every instance on the database; then
 * housekeeping deletes it.
 */
@Entity({ tableName: 'dpop_proofs' })
@Index({ properties: ['expiresAt'] })
export class DpopProof {
  /** `<jkt>:<jti>`: the thumbprint (43 characters), a colon and the `jti` (at most 256). */
  @PrimaryKey({ type: 'string', length: 320 })
  key!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
