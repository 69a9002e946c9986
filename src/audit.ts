/**
 * Audit events: who did what, from where, with what outcome — one structured log record each,
 * marked `audit: true` so they can be routed apart (the record's `time` says when). Fields name
 * people and clients by id only; secrets, tokens, codes and passwords never appear, and an
 * attempted username is kept only as a short digest (a password typed into the username field
 * must not end up in the log).
 */
import { createHmac } from 'node:crypto';
import type { Logger } from './log.js';

export type AuditEvent =
  | 'login.success'
  | 'login.failure'
  | 'login.throttled'
  | 'login.refused'
  | 'login.delegated'
  | 'consent.granted'
  | 'consent.denied'
  | 'authorization.restricted'
  | 'token.issued'
  | 'token.rate_limited'
  | 'token.revoked'
  | 'code.replay'
  | 'refresh.replay'
  | 'logout'
  | 'grant.revoked'
  | 'session.revoked'
  | 'keys.rotated'
  | 'admin.forbidden'
  | 'graphql.mutation';

export interface AuditFields {
  outcome: 'success' | 'failure' | 'refused';
  /** The user (id) or client acting; `schedule` for the service itself. */
  actor?: string;
  client?: string;
  ip?: string;
  [field: string]: unknown;
}

export function audit(logger: Pick<Logger, 'info'>, event: AuditEvent, fields: AuditFields, message: string = event): void {
  logger.info({ audit: true, event, ...fields }, message);
}

/**
 * A short, stable digest of an identifier that might hold a typo'd secret (attempted usernames:
 * people type passwords into the username field). Keyed (HMAC-SHA256 under a key derived from
 * the server's secret): an unkeyed hash of a short password is reversed by guessing.
 */
export function auditDigest(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url').slice(0, 16);
}
