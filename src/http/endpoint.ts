/**
 * The Express edge of protocol endpoints: endpoints are plain functions from a ProviderRequest
 * to an HttpResult; these helpers adapt a request, send the result byte for byte, and add CORS.
 */
import type { NextFunction, Request, Response } from 'express';
import { parseCookies } from '../provider/cookies.js';
import { corsHeaders, type CorsPolicy } from './cors.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { renderPage } from '../interaction/views/render.js';

/**
 * CORS headers on every response of the route, and the answer to preflights. Whether an origin is
 * allowed may take a query (the registry's cache, src/clients/client-registry.ts); a failure goes
 * to the error handler, as any other.
 */
export function withCors(policy: Omit<CorsPolicy, 'isAllowed'> & { isAllowed(origin: string): boolean | Promise<boolean> }) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    const allowed = origin !== undefined && origin !== 'null' && (await policy.isAllowed(origin));
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    for (const [k, v] of Object.entries(corsHeaders(origin, { ...policy, isAllowed: () => allowed }, preflight))) res.setHeader(k, v);
    if (preflight) {
      res.status(204).end();
      return;
    }
    next();
  };
}

export function handle(endpoint: (r: ProviderRequest, req: Request) => Promise<HttpResult>) {
  return (req: Request, res: Response, next: NextFunction) => {
    // A failure while sending (a header Node refuses) goes to the error handler too, never
    // becomes an unhandled rejection that stops the process.
    endpoint(toProviderRequest(req), req)
      .then((result) => send(res, result))
      .catch(next);
  };
}

/** `query`: the parsed query when the caller knows it already (form-lane.ts: none). */
export function toProviderRequest(req: Request, query: Record<string, unknown> = (req.query ?? {}) as Record<string, unknown>): ProviderRequest {
  return {
    method: req.method,
    query,
    body: req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : undefined,
    header: (name) => req.get(name),
    cookies: parseCookies(req.get('cookie')),
    ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
  };
}

/**
 * Sends exactly the given headers and body (Express would append a charset to some types); a
 * page view is drawn here, with its policy unless the result names one.
 */
export function send(res: Response, result: HttpResult): void {
  if (result.page && result.body === undefined) {
    const drawn = renderPage(result.page);
    result = { ...result, headers: { 'Content-Security-Policy': drawn.csp, ...result.headers }, body: drawn.html };
  }
  res.status(result.status);
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  if (result.setCookies?.length) res.append('Set-Cookie', result.setCookies);
  if (result.body === undefined) {
    res.end();
    return;
  }
  const body = Buffer.from(result.body, 'utf8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
