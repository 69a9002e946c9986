/**
 * Audit events: who did what, from where, with what outcome — one structured log record each,
 * marked `audit: true` so they can be routed apart (the record's `time` says when). Fields name
 * people and clients by id only; secrets, tokens, codes and passwords never appear, and an
 * attempted username is kept only as a short digest (a password typed into the username field
 * must not end up in the log).
 */
import { createHmac } from 'node:crypto';
import type { Logger } from './log.js';

export { AUDIT_EVENTS } from './audit-events.js';
import { AUDIT_EVENTS } from './audit-events.js';

export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditFields {
  outcome: 'success' | 'failure' | 'refused';
  /** The user (id) or client acting; `schedule` for the service itself; `cli` for a command (src/cli/context.ts cliActor). */
  actor?: string;
  client?: string;
  ip?: string;
  [field: string]: unknown;
}

/** An audit event as a sink receives it: when, what, and its fields. */
export interface AuditRecord extends AuditFields {
  time: number;
  event: AuditEvent;
  message: string;
}

export type AuditSink = (record: AuditRecord) => void;

const SINK = Symbol('jwt-oidc audit sink');

/**
 * A child of `logger` whose audit events, and those of every logger derived from it, also go to
 * `sink` (the live stream of src/audit-stream.ts). pino makes a child from its parent with
 * `Object.create`, so the sink set here is inherited by the request loggers of this instance
 * only — never by another instance's in the same process.
 */
export function withAuditSink(logger: Logger, sink: AuditSink): Logger {
  const child = logger.child({});
  Object.defineProperty(child, SINK, { value: sink });
  return child;
}

export function audit(logger: Pick<Logger, 'info'>, event: AuditEvent, fields: AuditFields, message: string = event): void {
  logger.info({ audit: true, event, ...fields }, message);
  const sink = (logger as { [SINK]?: AuditSink })[SINK];
  if (sink) {
    try {
      sink({ ...fields, time: Date.now(), event, message });
    } catch {
      // The live stream is for watching; the log record above is the audit trail.
    }
  }
}

/**
 * A short, stable digest of an identifier that might hold a typo'd secret (attempted usernames:
 * people type passwords into the username field). Keyed (HMAC-SHA256 under a key derived from
 * the server's secret): an unkeyed hash of a short password is reversed by guessing.
 */
export function auditDigest(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url').slice(0, 16);
}

/** Both sinks get every record; one that throws does not stop the other. */
export function bothSinks(a: AuditSink | undefined, b: AuditSink): AuditSink {
  if (!a) return b;
  return (record) => {
    try {
      a(record);
    } finally {
      b(record);
    }
  };
}
