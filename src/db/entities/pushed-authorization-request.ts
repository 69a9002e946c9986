import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Client } from './client.js';

/**
 * A pushed authorization request (RFC 9126 §2): the parameters a client sent to `/par`, waiting
 * for the browser to bring their `request_uri` to `/authorize`. The `request_uri` is stored as
 * its SHA-256 only; the row is taken once, by its client, before `expires_at`
 * (src/provider/stores/pushed-request-store.ts).
 */
@Entity({ tableName: 'pushed_authorization_requests' })
@Index({ properties: ['expiresAt'] })
export class PushedAuthorizationRequest {
  [OptionalProps]?: 'createdAt';

  /** SHA-256 of the random part of `urn:ietf:params:oauth:request_uri:<random>`. */
  @PrimaryKey({ type: 'string', length: 64 })
  uriHash!: string;

  /** The client that pushed it: only it may use the `request_uri` (RFC 9126 §4). */
  @ManyToOne(() => Client, { fieldName: 'client_id', mapToPk: true, deleteRule: 'cascade' })
  clientId!: string;

  /** The authorization request's parameters as pushed, client authentication removed. */
  @Property({ type: 'json' })
  params!: Record<string, string | string[]>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
