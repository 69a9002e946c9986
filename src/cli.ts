#!/usr/bin/env node
/**
 * The `jwt-oidc` command line. Tracing, when an OTLP endpoint is configured, starts first: it
 * must patch `http` and `pg` before anything loads them, so the commands are loaded after it.
 * Without the endpoint no OpenTelemetry module is loaded at all (docs/OBSERVABILITY.md).
 */
import { tracingRequested } from './telemetry/requested.js';

if (tracingRequested(process.env)) (await import('./telemetry/tracing.js')).startTracing();
await import('./cli/program.js');
