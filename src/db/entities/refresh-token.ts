import { Entity, ManyToOne, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Grant } from './grant.js';

/** A refresh token (opaque, ≥ 256 bits), stored as its SHA-256; rotated on every use. */
@Entity({ tableName: 'refresh_tokens' })
@Index({ properties: ['grantId'] })
@Index({ properties: ['expiresAt'] })
export class RefreshToken {
  [OptionalProps]?: 'rotatedAt' | 'createdAt' | 'dpopJkt';

  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @ManyToOne(() => Grant, { fieldName: 'grant_id', mapToPk: true, deleteRule: 'cascade' })
  grantId!: string;

  @Property({ type: 'string', length: 128 })
  clientId!: string;

  /** The scope of the grant (a refresh never widens it; RFC 6749 §6). */
  @Property({ type: 'text' })
  scope!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** A public client's refresh token is bound to the DPoP key it was issued to (RFC 9449 §5): the thumbprint, or null. */
  @Property({ type: 'string', length: 43, nullable: true })
  dpopJkt?: string | null;

  /** Set when used: a second use is a replay and revokes the grant (RFC 9700 §4.14.2). */
  @Property({ type: 'datetime', nullable: true })
  rotatedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
