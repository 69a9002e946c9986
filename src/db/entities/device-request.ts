import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Client } from './client.js';

/**
 * A device authorization request (RFC 8628 §3.1): the client on a device without a browser waits,
 * polling with its `device_code`, while the user types the `user_code` at `/device` and signs in.
 * The `device_code` is stored as its SHA-256 only; the row is reached through
 * src/provider/stores/device-store.ts alone.
 */
@Entity({ tableName: 'device_requests' })
@Index({ properties: ['expiresAt'] })
export class DeviceRequest {
  [OptionalProps]?: 'createdAt' | 'status' | 'userId' | 'grantId' | 'codeHash' | 'lastPollAt' | 'resources';

  /** SHA-256 of the `device_code`. */
  @PrimaryKey({ type: 'string', length: 64 })
  deviceHash!: string;

  /** The user code, normalised: 8 letters of BCDFGHJKLMNPQRSTVWXZ, without the dash (RFC 8628 §6.1). */
  @Unique()
  @Property({ type: 'string', length: 8 })
  userCode!: string;

  @ManyToOne(() => Client, { fieldName: 'client_id', mapToPk: true, deleteRule: 'cascade' })
  clientId!: string;

  /** Space-separated scopes asked for. */
  @Property({ type: 'text' })
  scope!: string;

  /** The `resource` values (RFC 8707), each registered when asked for. */
  @Property({ type: 'json', nullable: true })
  resources?: string[] | null;

  /** pending, approved or denied. */
  @Property({ type: 'string', length: 16, default: 'pending' })
  status: string = 'pending';

  /** Who approved it. */
  @Property({ type: 'uuid', nullable: true })
  userId?: string | null;

  /** The grant made when it was approved. */
  @Property({ type: 'uuid', nullable: true })
  grantId?: string | null;

  /** The digest of the grant's authorization code, redeemed once by the device's token request. */
  @Property({ type: 'string', length: 64, nullable: true })
  codeHash?: string | null;

  /** Seconds the client must wait between polls; grows by 5 at each slow_down (RFC 8628 §3.5). */
  @Property({ type: 'integer' })
  pollInterval!: number;

  @Property({ type: 'datetime', nullable: true })
  lastPollAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
