import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One attempt counted by a failure throttle (a login, a client authentication, a guessed code),
 * shared by every instance on the database: a failure, or — while `pending` — an attempt being
 * checked right now. Rows leave when their window has passed (housekeeping) or when the attempt
 * succeeded (refunded). See src/provider/throttle/shared-throttle.ts.
 */
@Entity({ tableName: 'failure_events' })
@Index({ properties: ['key', 'expiresAt'] })
@Index({ properties: ['expiresAt'] })
export class FailureEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** What is throttled: `account:<username>`, `address:<ip or /64>`, `device:<id>:<username>`… */
  @Property({ type: 'string', length: 255 })
  key!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** When it no longer counts: `createdAt` + the throttle's window. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Being checked now: counts against the limit, and blocks other attempts of an exclusive key. */
  @Property({ type: 'boolean' })
  pending!: boolean;
}
