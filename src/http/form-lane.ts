/**
 * The token endpoint answered before the router, as discovery and JWKS are (fast-lane.ts): a
 * `POST` of the exact path, without `Origin` (no CORS decision to make), goes through the very
 * pieces the routed request would — the same form parser instance, the same endpoint function,
 * the same error handler, Express's own request and response objects (so `req.ip` follows
 * TRUST_PROXY) — and gets the same security headers, request id, log line, request metric (under
 * the route's label) and trace route name. What it skips is the walk through the middleware
 * stack and the router's list of routes. Anything else (a query string, a cross-origin request,
 * another method, another spelling of the path) goes the ordinary way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { HttpResult, ProviderRequest } from '../provider/http-result.js';
import { namedRoute } from '../telemetry/hooks.js';
import { send, toProviderRequest } from './endpoint.js';
import { errorHandler } from './errors.js';
import { staticSecurityHeaders } from './fast-lane.js';
import { logRequest, requestIdOf } from './request-log.js';

export interface FormEndpoint {
  /** The route as the router declares it under its mount path: the label of metrics and traces. */
  route: string;
  /** The body parser the routed endpoint uses. */
  parse: RequestHandler;
  endpoint: (r: ProviderRequest) => Promise<HttpResult>;
}

export interface FormLaneOptions {
  /** The application whose request and response prototypes the routed request would get. */
  app: Express;
  /** By exact path on the server (the issuer's path included). */
  routes: Record<string, FormEndpoint>;
  logger: Logger;
  metrics?: Metrics;
}

export function formLane({ app, routes, logger, metrics }: FormLaneOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const security = staticSecurityHeaders();
  // What withCors sets on every answer of the route to a request without Origin.
  const fixed = [...security, ['Vary', 'Origin']].flat();
  const named = new Map(Object.values(routes).map((r) => [r, namedRoute(r.route)]));

  return (incoming, response) => {
    if (incoming.method !== 'POST' || incoming.headers.origin !== undefined) return false;
    const route = routes[incoming.url ?? ''];
    if (!route) return false;
    const started = process.hrtime.bigint();
    // What app.handle does before its router: the two objects become Express's.
    const req = incoming as Request;
    const res = response as Response;
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    const id = requestIdOf(req.headers['x-request-id']);
    req.id = id;
    named.get(route)!(req, res, noop);

    const finished = () => {
      const status = res.statusCode;
      if (metrics) metrics.observeRequest('POST', route.route, status, Number(process.hrtime.bigint() - started) / 1e9);
      logRequest(logger, { requestId: id, method: 'POST', path: req.url, status }, started);
    };
    // Errors go to the application's handler, with the request logger it expects.
    const failed = (err: unknown) => {
      req.log = logger.child({ requestId: id });
      if (!res.headersSent) headersOf(res, id, fixed);
      res.once('finish', finished);
      errorHandler(err, req, res, noop as NextFunction);
    };

    route.parse(req, res, (err?: unknown) => {
      if (err) return failed(err);
      route.endpoint(toProviderRequest(req, {})) // the exact path: no query
        .then((result) => {
          if (result.page || result.setCookies?.length) {
            // Not what these endpoints answer; sent the general way all the same.
            headersOf(res, id, fixed);
            res.once('finish', finished);
            send(res, result);
            return;
          }
          const headers: string[] = [...fixed, 'X-Request-Id', id];
          for (const name in result.headers) headers.push(name, result.headers[name]!);
          if (result.body === undefined) {
            res.writeHead(result.status, headers);
            res.end();
          } else {
            // A string, not a Buffer: Node sends it in one write with the head.
            headers.push('Content-Length', String(Buffer.byteLength(result.body, 'utf8')));
            res.writeHead(result.status, headers);
            res.end(result.body, 'utf8');
          }
          finished();
        })
        .catch(failed);
    });
    return true;
  };
}

function headersOf(res: ServerResponse, id: string, fixed: string[]): void {
  for (let i = 0; i < fixed.length; i += 2) res.setHeader(fixed[i]!, fixed[i + 1]!);
  res.setHeader('X-Request-Id', id);
}

const noop = () => undefined;
