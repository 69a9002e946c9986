/**
 * Where the rest of the service meets tracing without importing it: the log's trace fields and
 * the route of a request. Both do nothing until src/telemetry/tracing.ts (loaded only when
 * tracing is on) fills them in, so a service without tracing loads no OpenTelemetry module.
 */
import type { Request } from 'express';

export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

const none = (): TraceFields => ({});
let current: () => TraceFields = none;

/** The ids of the active span, for every log line (the names of OpenTelemetry's log data model). */
export function traceFields(): TraceFields {
  return current();
}

export function setTraceFields(source: () => TraceFields): void {
  current = source;
}

const ROUTE = Symbol('jwt-oidc.route');
type Routed = Request & { [ROUTE]?: string };

/**
 * Records the route template a request matched (`/users/:id`, never the path with its ids and
 * tokens): tracing names the request's span by it (OpenTelemetry HTTP semantic conventions,
 * `http.route`). Express sets `req.route` when a route matches, while `req.baseUrl` is still the
 * mount path of its router; the setter joins the two at that moment.
 */
export function recordRoutes(req: Request, _res: unknown, next: () => void): void {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set: (value: { path?: unknown } | undefined) => {
      route = value;
      if (typeof value?.path === 'string') (req as Routed)[ROUTE] = `${req.baseUrl}${value.path}`;
    },
  });
  next();
}

/** For a handler mounted with `app.use(path, …)`, which matches no route: its mount path. */
export function namedRoute(name: string) {
  return (req: Request, _res: unknown, next: () => void): void => {
    (req as Routed)[ROUTE] = name;
    next();
  };
}

export function routeOf(req: object): string | undefined {
  return (req as Routed)[ROUTE];
}

let stop: () => Promise<void> = () => Promise.resolve();

/** Sends the spans still buffered; the service calls it before exiting. */
export function stopTracing(): Promise<void> {
  return stop();
}

export function setTracingStop(fn: () => Promise<void>): void {
  stop = fn;
}
