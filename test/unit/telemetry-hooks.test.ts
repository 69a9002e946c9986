/** The meeting points of tracing (src/telemetry/): the request's route template, the switch. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { namedRoute, recordRoutes, routeOf } from '../../src/telemetry/hooks.js';
import { isUntracedProbe, tracingProblem, tracingRequested } from '../../src/telemetry/requested.js';

describe('tracingRequested', () => {
  it('only with an OTLP endpoint', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  });
});

describe('tracingProblem', () => {
  it('refuses gRPC and unknown protocols, for traces or for every signal', () => {
    expect(tracingProblem({})).toBeUndefined();
    expect(tracingProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toBeUndefined();
    expect(tracingProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeUndefined();
    expect(tracingProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/^OTEL_EXPORTER_OTLP_PROTOCOL: .*got "grpc"/);
    expect(tracingProblem({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    // The traces-specific variable wins over the general one, as in the SDK.
    expect(tracingProblem({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toBeUndefined();
  });
});

describe('isUntracedProbe', () => {
  it('skips the probes unless the caller traces them', () => {
    expect(isUntracedProbe('/healthz', {})).toBe(true);
    expect(isUntracedProbe('/readyz', {})).toBe(true);
    expect(isUntracedProbe('/readyz', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe(false);
    expect(isUntracedProbe('/token', {})).toBe(false);
  });
});

describe('routeOf', () => {
  it('is the template of the matched route, mount paths included, never the raw path', async () => {
    const seen: (string | undefined)[] = [];
    const app = express();
    // First, so that it sees every request, as the request log does.
    app.use((req, res, next) => {
      res.on('finish', () => seen.push(routeOf(req)));
      next();
    });
    app.use(recordRoutes);
    const users = express.Router();
    users.get('/:id', (_req, res) => void res.end());
    app.use('/admin/users', users);
    app.use('/graphql', namedRoute('/graphql'), (_req, res) => void res.end());
    app.use((_req, res) => void res.status(404).end());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ['/admin/users/secret-id-123', '/graphql?query=x', '/nowhere']) await (await fetch(base + path)).arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual(['/admin/users/:id', '/graphql', undefined]);
    } finally {
      server.close();
    }
  });
});
