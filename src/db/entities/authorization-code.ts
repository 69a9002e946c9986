import { Entity, ManyToOne, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Grant } from './grant.js';

/** An authorization code (opaque, ≥ 256 bits), stored as its SHA-256; single use. */
@Entity({ tableName: 'authorization_codes' })
@Index({ properties: ['expiresAt'] })
@Index({ properties: ['grantId'] })
export class AuthorizationCode {
  [OptionalProps]?: 'consumedAt' | 'codeChallenge' | 'redirectUri' | 'dpopJkt';

  @PrimaryKey({ type: 'string', length: 64 })
  codeHash!: string;

  @ManyToOne(() => Grant, { fieldName: 'grant_id', mapToPk: true, deleteRule: 'cascade' })
  grantId!: string;

  @Property({ type: 'string', length: 128 })
  clientId!: string;

  /** The redirect_uri of the authorization request, if it carried one (RFC 6749 §4.1.3). */
  @Property({ type: 'string', length: 2048, nullable: true })
  redirectUri?: string | null;

  /** PKCE S256 challenge (RFC 7636); null when the request had none. */
  @Property({ type: 'string', length: 128, nullable: true })
  codeChallenge?: string | null;

  /** The DPoP key the authorization request named (`dpop_jkt`, RFC 9449 §10): the code is redeemed with a proof of it only. */
  @Property({ type: 'string', length: 43, nullable: true })
  dpopJkt?: string | null;

  /** Scope of the tokens this code yields. */
  @Property({ type: 'text' })
  scope!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  consumedAt?: Date | null;
}
