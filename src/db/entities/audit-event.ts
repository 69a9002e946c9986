import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One audit event, kept for the `auditEvents` query until `AUDIT_RETENTION` has
 * passed (then housekeeping deletes it). Written in batches by the audit stream
 * (src/audit-stream.ts), read newest first by (time, id).
 */
@Entity({ tableName: 'audit_events' })
@Index({ properties: ['time', 'id'] })
@Index({ properties: ['event', 'time'] })
@Index({ properties: ['actor', 'time'] })
@Index({ properties: ['client', 'time'] })
@Index({ properties: ['expiresAt'] })
export class AuditEventRow {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'datetime' })
  time!: Date;

  @Property({ type: 'string', length: 64 })
  event!: string;

  @Property({ type: 'string', length: 16 })
  outcome!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  actor?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  client?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;

  @Property({ type: 'text' })
  message!: string;

  @Property({ type: 'string', length: 255 })
  instance!: string;

  @Property({ type: 'json' })
  details!: Record<string, unknown>;

  /** `time` + the retention: housekeeping deletes it then. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
