/**
 * Audit events: who did what, from where, with what outcome — one structured log record each,
 * marked `audit: true` so they can be routed apart (the record's `time` says when). Fields name
 * people and clients by id only; secrets, tokens, codes and passwords never appear, and an
 * attempted username is kept only as a short digest (a password typed into the username field
 * must not end up in the log).
 */
import { sha256 } from './util/digest.js';
import type { Logger } from './log.js';

export type AuditEvent =
  | 'login.success'
  | 'login.failure'
  | 'login.throttled'
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

/** A short, stable digest of an identifier that might hold a typo'd secret (attempted usernames). */
export function auditDigest(value: string): string {
  return sha256(value).slice(0, 12);
}
