/** The meeting points of tracing (src/telemetry/): the request's route template, the switch. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { namedRoute, recordRoutes, routeOf } from '../../src/telemetry/hooks.js';
import { tracingRequested } from '../../src/telemetry/requested.js';

describe('tracingRequested', () => {
  it('only with an OTLP endpoint', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
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
