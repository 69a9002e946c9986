/**
 * Whether to trace: only when an OTLP endpoint is configured, with the standard variables of
 * the OpenTelemetry SDK (docs/OBSERVABILITY.md). Free of any OpenTelemetry import, so that a
 * service without them loads none.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Why the configured export cannot work, if it cannot: spans go over OTLP/HTTP (JSON, which an
 * OTLP/HTTP receiver takes on the same path as protobuf), so `grpc` — a different port and wire
 * format — would lose every span without a word. The service refuses to start instead.
 */
export function tracingProblem(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (value === 'http/json' || value === 'http/protobuf') return undefined;
    return `${name}: expected http/protobuf or http/json (traces are sent over OTLP/HTTP); got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Liveness and readiness probes, polled every few seconds: traced only when the caller traces them. */
export function isUntracedProbe(path: string | undefined, headers: Record<string, unknown>): boolean {
  return (path === '/healthz' || path === '/readyz') && headers.traceparent === undefined;
}
