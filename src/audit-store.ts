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
    notify: (channel, payload) => db.orm.em.fork().getConnection().execute('select pg_notify(?, ?)', [channel, payload]).then(() => undefined),
    store: settings.auditRetention > 0 ? (events) => saveAuditEvents(db.orm, events, settings.auditRetention) : undefined,
  });
}

/** One INSERT per batch; `retention` in seconds. */
export async function saveAuditEvents(orm: MikroORM, events: readonly StreamedAuditEvent[], retention: number): Promise<void> {
  if (events.length === 0) return;
  await orm.em.fork().insertMany(
    AuditEventRow,
    events.map((e) => ({
      id: e.id,
      time: new Date(e.time),
      event: e.event,
      outcome: e.outcome,
      actor: clip(e.actor, 255),
      client: clip(e.client, 255),
      ip: clip(e.ip, 64),
      message: e.message,
      instance: clip(e.instance, 255)!,
      details: e.details,
      expiresAt: new Date(e.time + retention * 1000),
    })),
  );
}

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
