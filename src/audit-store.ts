/**
 * Audit events kept in PostgreSQL (`audit_events`) for the `auditEvents` query:
 * written in batches by the audit stream (src/audit-stream.ts), each row until its `expires_at`
 * (the event's time + AUDIT_RETENTION), when housekeeping deletes it. Read newest first, by
 * (time, id), a page at a time.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Settings } from './config/load.js';
import type { Database } from './db/database.js';
import { AuditEventRow } from './db/entities/audit-event.js';
import { AuditStream, type StreamedAuditEvent } from './audit-stream.js';
import type { Logger } from './log.js';

/**
 * The audit stream of a process on `db` — a server instance, or a CLI command that changes
 * something (src/cli/context.ts) — in the provider and fake modes: its events are published to
 * every instance's watchers and kept for the `auditEvents` query, unless AUDIT_RETENTION is 0.
 */
export function databaseAuditStream(settings: Settings, db: Database, logger: Logger): AuditStream | undefined {
  if (settings.type === 'client') return undefined;
  return new AuditStream({
    url: db.url,
    logger,
    notify: (channel, payload) => bound(db.orm, 'select pg_notify(?, ?)', [channel, payload]),
    store: settings.auditRetention > 0 ? (events) => saveAuditEvents(db.orm, events, settings.auditRetention) : undefined,
  });
}

/**
 * One INSERT per batch; `retention` in seconds. The batch travels as one JSON parameter, expanded
 * by `jsonb_to_recordset`: rows spelled out as SQL literals cost the building and escaping of
 * each value, and every token request writes an event. Times are whole milliseconds since the
 * epoch, as before.
 */
export async function saveAuditEvents(orm: MikroORM, events: readonly StreamedAuditEvent[], retention: number): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    id: e.id,
    time: e.time,
    event: e.event,
    outcome: e.outcome,
    actor: clip(e.actor, 255),
    client: clip(e.client, 255),
    ip: clip(e.ip, 64),
    message: e.message,
    instance: clip(e.instance, 255)!,
    details: e.details,
    expires_at: e.time + retention * 1000,
  }));
  await bound(
    orm,
    `insert into "audit_events" ("id", "time", "event", "outcome", "actor", "client", "ip", "message", "instance", "details", "expires_at")
     select e.id, ${AT('e.time')}, e.event, e.outcome, e.actor, e.client, e.ip, e.message, e.instance, e.details, ${AT('e.expires_at')}
     from jsonb_to_recordset(?::jsonb) as e("id" uuid, "time" bigint, "event" text, "outcome" text, "actor" text, "client" text, "ip" text, "message" text, "instance" text, "details" jsonb, "expires_at" bigint)`,
    [JSON.stringify(rows)],
  );
}

/**
 * A statement with its values as bound parameters: MikroORM's `execute` spells every value into
 * the SQL text, escaping it character by character — for the audit stream's kilobytes of JSON per
 * batch, more work than the statement itself.
 */
async function bound(orm: MikroORM, sql: string, values: readonly string[]): Promise<void> {
  await orm.em.getConnection().getKnex().raw(sql, values);
}

/** Milliseconds since the epoch as a timestamptz, exactly (no floating-point division). */
const AT = (ms: string) => `(timestamptz 'epoch' + ${ms} * interval '1 millisecond')`;

const clip = (value: string | undefined, max: number) => (value === undefined ? null : value.slice(0, max));

export interface AuditEventFilter {
  types?: readonly string[];
  actor?: string;
  client?: string;
  /** From this time on (inclusive). */
  since?: Date;
  /** Before this time. */
  until?: Date;
}

/** The position of an event in the newest-first order: its time and id. */
export interface AuditPosition {
  time: Date;
  id: string;
}

/** Events matching `filter`, newest first, after `after`; at most `limit`. */
export async function findAuditEvents(em: EntityManager, filter: AuditEventFilter, after: AuditPosition | undefined, limit: number): Promise<AuditEventRow[]> {
  const where: Record<string, unknown>[] = [];
  if (filter.types) where.push({ event: { $in: [...filter.types] } });
  if (filter.actor !== undefined) where.push({ actor: filter.actor });
  if (filter.client !== undefined) where.push({ client: filter.client });
  if (filter.since) where.push({ time: { $gte: filter.since } });
  if (filter.until) where.push({ time: { $lt: filter.until } });
  if (after) where.push({ $or: [{ time: { $lt: after.time } }, { time: after.time, id: { $lt: after.id } }] });
  return em.find(AuditEventRow, where.length > 0 ? { $and: where } : {}, { orderBy: [{ time: 'desc' }, { id: 'desc' }], limit });
}
