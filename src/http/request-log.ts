/**
 * A request id for every request (from `X-Request-Id` when it is sane, else a fresh UUID),
 * echoed in the response and attached to a child logger; one log line per finished request.
 * Only the path is logged, never the query string: codes and tokens travel there
 * (RFC 6750 §5.3, docs/SECURITY.md BR-05).
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** A request's id: the caller's `X-Request-Id` when it is sane, else a fresh one. */
export function requestIdOf(header: unknown): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The one log line of a request, for the router and the lanes before it alike: `error` for a
 * 5xx, `info` otherwise; the path only, never the query string (codes and tokens travel there).
 */
export function logRequest(logger: Logger, fields: { requestId?: string; method: string; path: string; status: number }, started: bigint): void {
  const level = fields.status >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level]({ ...fields, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10 }, 'request');
}

export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.id = requestIdOf(req.get('x-request-id'));
    req.log = logger.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => logRequest(req.log, { method: req.method, path: req.originalUrl.split('?')[0]!, status: res.statusCode }, started));
    next();
  };
}
