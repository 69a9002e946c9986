#!/usr/bin/env node
/**
 * The `jwt-oidc` command line. Tracing, when an OTLP endpoint is configured, starts first: it
 * must patch `http` and `pg` before anything loads them, so the commands are loaded after it.
 * Without the endpoint no OpenTelemetry module is loaded at all (docs/OBSERVABILITY.md).
 */
import { limitHeapGrowth } from './heap.js';
import { tracingProblem, tracingRequested } from './telemetry/requested.js';

limitHeapGrowth();

if (tracingRequested(process.env)) {
  const problem = tracingProblem(process.env);
  if (problem) {
    // The same form and exit code as invalid settings (README "Settings").
    process.stderr.write(`jwt-oidc: invalid settings:\n  ${problem}\n`);
    process.exit(2);
  }
  (await import('./telemetry/tracing.js')).startTracing();
}
await import('./cli/program.js');
