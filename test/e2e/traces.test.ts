/**
 * OpenTelemetry traces (docs/OBSERVABILITY.md): the built service, with an OTLP endpoint set,
 * sends a span per request named by its route, continuing the caller's W3C `traceparent`, with
 * the database statements as child spans, and writes the trace id into its log lines. Without
 * the endpoint it loads no OpenTelemetry module at all.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/db/scratch.js';
import { finished, ROOT, servingUrl, spawnCli } from '../support/cli.js';
import { migratedDatabase } from '../support/database.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}
interface OtlpBody {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A minimal OTLP/HTTP receiver (JSON encoding): keeps every span with its service name. */
async function receiver(): Promise<{ server: Server; url: string; spans: (OtlpSpan & { service?: string })[]; paths: string[] }> {
  const spans: (OtlpSpan & { service?: string })[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      paths.push(req.url ?? '');
      if (req.url !== '/v1/traces') return void res.writeHead(404).end();
      const parsed = JSON.parse(body) as OtlpBody;
      for (const rs of parsed.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, paths };
}

const KEY_SECRET = 'traces-test-key-encryption-secret-0123456789';
let scratch: ScratchDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  scratch = await migratedDatabase();
});
afterAll(async () => {
  await scratch?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-traces-'));
  dirs.push(dir);
  const child = spawnCli(['serve'], { DATABASE_URL: scratch.url, JWT_OIDC_DATA_DIR: dir, JWT_OIDC_KEY_ENCRYPTION_SECRET: KEY_SECRET, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  const exit = finished(child);
  const url = await servingUrl(child, 60_000);
  return { child, url, exit, dir };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** A one-time link's token, as a query parameter: no trace may carry it. */
const LINK_SECRET = 'link-secret-7f3a9c';
const PARENT = '00f067aa0ba902b7';

describe('traces', () => {
  it('OB-04 sends the request span by route (the query redacted), its database statements as children, continuing traceparent; the log lines carry the trace id', async () => {
    const otlp = await receiver();
    try {
      const moduleLog = join(mkdtempSync(join(tmpdir(), 'jwt-oidc-modules-')), 'modules');
      dirs.push(join(moduleLog, '..'));
      const svc = await serve({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', MODULE_LOG: moduleLog, NODE_OPTIONS: `--require ${join(ROOT, 'test/e2e/fixtures/module-log.cjs')}` });
      const res = await fetch(`${svc.url}/readyz?token=${LINK_SECRET}`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT}-01` } });
      expect(res.status).toBe(200);
      // A probe without a traceparent (a load balancer's, every few seconds) starts no trace.
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
      const deadline = Date.now() + 15_000;
      const ours = () => otlp.spans.filter((s) => s.traceId === TRACE_ID);
      while (Date.now() < deadline && !(ours().some((s) => s.name === 'GET /readyz') && ours().length > 1)) await new Promise((r) => setTimeout(r, 100));
      svc.child.kill('SIGTERM');
      await svc.exit;

      expect(otlp.paths).toContain('/v1/traces');
      expect(otlp.spans.filter((s) => s.name.startsWith('GET /healthz') || s.name.startsWith('GET /readyz')).map((s) => s.traceId)).toEqual([TRACE_ID]);
      const server = ours().find((s) => s.name === 'GET /readyz');
      expect(server, JSON.stringify(otlp.spans.map((s) => [s.traceId, s.name]))).toBeDefined();
      expect(server!.parentSpanId).toBe(PARENT);
      expect(server!.service).toBe('jwt-oidc');
      expect(server!.attributes.find((a) => a.key === 'http.route')?.value.stringValue).toBe('/readyz');
      expect(server!.attributes.find((a) => a.key === 'url.query')?.value.stringValue).toBe('token=REDACTED');
      expect(JSON.stringify(otlp.spans)).not.toContain(LINK_SECRET);
      // The readiness check pings the database: a pg span, a descendant of the request's.
      const ids = new Set([server!.spanId]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const s of ours()) if (s.parentSpanId && ids.has(s.parentSpanId) && !ids.has(s.spanId)) (ids.add(s.spanId), (grew = true));
      }
      const pgSpans = ours().filter((s) => ids.has(s.spanId) && s !== server && s.attributes.some((a) => a.key === 'db.system' || a.key === 'db.system.name'));
      expect(pgSpans.length, JSON.stringify(ours().map((s) => s.name))).toBeGreaterThan(0);

      const lines = svc.child
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // The last one: waiting for the service to be ready asked /readyz too.
      const requestLine = lines.filter((l) => l.msg === 'request' && l.path === '/readyz').at(-1);
      expect(requestLine?.trace_id).toBe(TRACE_ID);
      expect(requestLine?.span_id).toBe(server!.spanId);
      // The positive control of the next test: the module log sees the OpenTelemetry modules.
      expect(readFileSync(moduleLog, 'utf8')).toMatch(/@opentelemetry/);
    } finally {
      otlp.server.close();
    }
  }, 120_000);

  it('OB-05 refuses to start when the export protocol is gRPC, which would lose every span', async () => {
    const child = spawnCli(['config'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', JWT_OIDC_DATA_DIR: mkdtempSync(join(tmpdir(), 'jwt-oidc-traces-')) });
    const { code, stderr } = await finished(child);
    expect(code).toBe(2);
    expect(stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or http/json');
  }, 60_000);

  it('OB-06 loads no OpenTelemetry module without an endpoint', async () => {
    const moduleLog = join(mkdtempSync(join(tmpdir(), 'jwt-oidc-modules-')), 'modules');
    dirs.push(join(moduleLog, '..'));
    const svc = await serve({ MODULE_LOG: moduleLog, NODE_OPTIONS: `--require ${join(ROOT, 'test/e2e/fixtures/module-log.cjs')}` });
    expect((await fetch(`${svc.url}/readyz`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT}-01` } })).status).toBe(200);
    svc.child.kill('SIGTERM');
    await svc.exit;
    const loaded = readFileSync(moduleLog, 'utf8');
    expect(loaded).toMatch(/\/dist\/src\/server\.js/); // the log does see the service's modules
    expect(loaded).not.toMatch(/@opentelemetry|import-in-the-middle|require-in-the-middle/);
    const requestLine = svc.child.output().split('\n').find((l) => l.includes('"msg":"request"') && l.includes('/readyz'));
    expect(requestLine).toBeDefined();
    expect(requestLine).not.toMatch(/trace_id/);
  }, 120_000);
});
