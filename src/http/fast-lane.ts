/**
 * Documents every relying party and resource server polls — discovery and the JWK Set — answered
 * before Express: a plain `GET` of the exact path, without `Origin` (no CORS decision to make),
 * gets its pre-serialized body with the same security headers, request id and log line as any
 * other response. Anything else (a query string, HEAD, a cross-origin request, another method)
 * goes the ordinary way, so the semantics are those of the routed endpoint; only the cost differs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { HttpResult } from '../provider/http-result.js';
import { logRequest, requestIdOf } from './request-log.js';
import { securityHeaders } from './security-headers.js';

/** A document endpoint: answers from memory, given `If-None-Match`. */
export type DocumentEndpoint = (ifNoneMatch?: string) => HttpResult;

/** The headers helmet sets on every response, read once from the middleware itself. */
export function staticSecurityHeaders(): [string, string][] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string | number | string[]) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let synchronous = false;
  securityHeaders()({ headers: {} } as never, res as never, () => (synchronous = true));
  if (!synchronous) throw new Error('security headers must be set synchronously');
  return [...headers];
}

/**
 * `observe`: the request timer of the metrics (src/http/metrics.ts), if on; a document's path is
 * a fixed one, so it is its own route label.
 */
export function fastLane(routes: Record<string, DocumentEndpoint>, logger: Logger, observe?: (method: string, route: string, status: number, seconds: number) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  const security = staticSecurityHeaders();
  const bodies = new Map<string, Buffer>();
  const bytes = (body: string): Buffer => {
    let b = bodies.get(body);
    if (!b) {
      // A rotated JWK Set replaces its predecessor: keep the newest few only.
      if (bodies.size >= 8) bodies.delete(bodies.keys().next().value!);
      bodies.set(body, (b = Buffer.from(body, 'utf8')));
    }
    return b;
  };

  return (req, res) => {
    if (req.method !== 'GET' || req.headers.origin !== undefined) return false;
    const endpoint = routes[req.url ?? ''];
    if (!endpoint) return false;
    const started = process.hrtime.bigint();
    const id = requestIdOf(req.headers['x-request-id']);
    const result = endpoint(req.headers['if-none-match']);
    // The routed answer to a cross-origin request differs (CORS headers): caches must know.
    const headers: [string, string][] = [...security, ['Vary', 'Origin'], ['X-Request-Id', id]];
    for (const [k, v] of Object.entries(result.headers)) headers.push([k, v]);
    if (result.body === undefined) {
      res.writeHead(result.status, headers.flat());
      res.end();
    } else {
      const body = bytes(result.body);
      headers.push(['Content-Length', String(body.length)]);
      res.writeHead(result.status, headers.flat());
      res.end(body);
    }
    if (observe) observe('GET', req.url!, result.status, Number(process.hrtime.bigint() - started) / 1e9);
    logRequest(logger, { requestId: id, method: 'GET', path: req.url!, status: result.status }, started);
    return true;
  };
}
