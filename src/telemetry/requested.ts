/**
 * Whether to trace: only when an OTLP endpoint is configured, with the standard variables of
 * the OpenTelemetry SDK (docs/OBSERVABILITY.md). Free of any OpenTelemetry import, so that a
 * service without them loads none.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
