/**
 * OpenTelemetry traces, loaded by src/cli.ts only when an OTLP endpoint is configured
 * (requested.ts), and before the rest of the service: the instrumentations patch `http` and
 * `pg` as they are loaded, so a module loaded earlier would go untraced (docs/OBSERVABILITY.md).
 *
 * A span per HTTP request, named by its route; a child span per database statement; the W3C
 * `traceparent` of the caller continued (the SDK's default propagators, OTEL_PROPAGATORS); the
 * ids of the active span in every log line. Everything else is the SDK's standard environment
 * variables (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_TRACES_SAMPLER…).
 */
import { context, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { routeOf, setTraceFields, setTracingStop } from './hooks.js';
import { isUntracedProbe } from './requested.js';

export const DEFAULT_SERVICE_NAME = 'jwt-oidc';
/** How long sending the last spans may delay the exit. */
const STOP_MS = 2_000;

export function startTracing(env: NodeJS.ProcessEnv = process.env): void {
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    traceExporter: new OTLPTraceExporter(),
    // Traces only: the SDK would otherwise also send metrics and logs to the same endpoint by
    // default (OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER); the logs stay pino's lines on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        applyCustomAttributesOnSpan: nameByRoute,
        ignoreIncomingRequestHook: (req) => isUntracedProbe(req.url?.split('?')[0], req.headers),
        // The service's own outgoing calls are traced as children of a request; none start a trace.
        requireParentforOutgoingSpans: true,
      }),
      // Statements outside any request (housekeeping sweeps, startup) would each be a trace of
      // their own: only those made while serving a traced request are recorded.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  setTraceFields(() => {
    const span = trace.getSpan(context.active());
    if (!span) return {};
    const { traceId, spanId, traceFlags } = span.spanContext();
    return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`.slice(-2) };
  });
  // Bounded: an unreachable collector must not hold up the exit (the exporter's own timeout is 10 s).
  setTracingStop(() => Promise.race([sdk.shutdown().catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, STOP_MS).unref())]));
}

/**
 * `GET /token` rather than `GET`: the route template, low in cardinality (OpenTelemetry HTTP
 * semantic conventions, span name `{method} {http.route}`). Incoming requests only.
 *
 * The query's values are redacted: on this service they are codes, one-time link tokens,
 * `id_token_hint`s and request objects (OIDC Core §3.1.2.1, RFC 9101), which a trace backend
 * must not hold. The parameter names stay, for debugging.
 */
function nameByRoute(span: Span, request: object): void {
  const url = 'url' in request && typeof request.url === 'string' ? request.url : undefined;
  const query = url?.indexOf('?') ?? -1;
  if (url !== undefined && query >= 0) span.setAttribute('url.query', redactedQuery(url.slice(query + 1)));
  const route = routeOf(request);
  if (route === undefined || !('method' in request) || !('headers' in request)) return;
  span.setAttribute('http.route', route);
  span.updateName(`${String(request.method)} ${route}`);
}

export function redactedQuery(query: string): string {
  return [...new URLSearchParams(query).keys()].map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&');
}
