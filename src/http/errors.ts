/**
 * The last stop of every request that nothing else answered: a JSON 404, and for errors a JSON
 * answer with a status but never a stack trace or an internal message (those go to the log).
 */
import type { NextFunction, Request, Response } from 'express';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { databaseUnavailable } from '../provider/unavailable.js';
import { send } from './endpoint.js';

export function notFound(_req: Request, res: Response): void {
  res.status(404).json({ error: 'not_found', error_description: 'No such endpoint.' });
}

/** Errors from body parsing carry a 4xx status and a `type` (body-parser's error classes). */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'The request body is too large.'],
  'entity.parse.failed': [400, 'The request body is not valid.'],
  'encoding.unsupported': [415, 'Unsupported content encoding.'],
  'charset.unsupported': [415, 'Unsupported charset.'],
  'request.aborted': [400, 'The request was aborted.'],
  'parameters.too.many': [413, 'Too many parameters.'],
};

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (isDatabaseUnavailable(err)) {
    req.log?.warn({ err }, 'database unavailable');
    if (res.headersSent) return void res.destroy();
    send(res, databaseUnavailable('json'));
    return;
  }
  const e = err as HttpishError;
  const known = e?.type ? CLIENT_ERRORS[e.type] : undefined;
  // The router marks a path it cannot percent-decode (`/interaction/%zz`) as a 400 URIError
  // without `expose`: the client's mistake all the same.
  const clientError = e?.expose || err instanceof URIError;
  const status = known?.[0] ?? (clientError && (e.status ?? 0) >= 400 && (e.status ?? 0) < 500 ? e.status! : 500);
  if (status >= 500) req.log?.error({ err }, 'unhandled error');
  else req.log?.info({ type: e?.type, status }, 'rejected request');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json(
      status >= 500
        ? { error: 'server_error', error_description: 'Internal server error.' }
        : { error: 'invalid_request', error_description: known?.[1] ?? 'Bad request.' },
    );
}
