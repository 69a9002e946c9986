import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { graphql, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { captureLogs: true });
});
afterAll(() => server?.close());

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('health and readiness', () => {
  it('answers /healthz and /readyz with 200 and no caching', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('is not ready while the database refuses connections, alive all along, and ready again after', async () => {
    const name = new URL(server.databaseUrl).pathname.slice(1);
    await admin(async (c) => {
      await c.query(`alter database "${name}" allow_connections false`);
      await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    });
    try {
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(await down.json()).toEqual({ status: 'unavailable', checks: { database: 'unavailable' } });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await admin((c) => c.query(`alter database "${name}" allow_connections true`));
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await fetch(`${server.url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe('HTTP edge', () => {
  it('sends security headers and a request id on every response', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-1234567' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-1234567');
    const insane = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'has spaces; and ' + 'y'.repeat(300) } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found', error_description: 'No such endpoint.' });
  });

  it('answers a malformed JSON body with 400, never a stack trace', async () => {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'invalid_request', error_description: 'The request body is not valid.' });
    expect(text).not.toMatch(/at \w+ \(|node_modules|SyntaxError/);
  });

  it('GQ-07: refuses a 2 MB body with 413 before parsing it', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ serverInfo { version } }`, variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('BR-05: never logs query strings (codes and tokens travel there)', async () => {
    await fetch(`${server.url}/healthz?access_token=SECRET-TOKEN-VALUE&code=SECRET-CODE`);
    await new Promise((r) => setTimeout(r, 50));
    const line = server.logs.find((l) => l.msg === 'request' && l.path === '/healthz');
    expect(line).toBeDefined();
    expect(JSON.stringify(server.logs)).not.toMatch(/SECRET-TOKEN-VALUE|SECRET-CODE/);
  });

  it('logs one record per request with method, path, status and the request id', async () => {
    await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'log-check-0001' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'log-check-0001', method: 'GET', path: '/healthz', status: 200 }));
  });
});

describe('GraphQL', () => {
  it('answers serverInfo', async () => {
    const { status, body } = await graphql(server.url, '{ serverInfo { version mode issuer } }');
    expect(status).toBe(200);
    expect(body.data.serverInfo).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), mode: 'provider', issuer: server.settings.issuer });
    expect(server.settings.issuer).toBe(`http://localhost:${server.port}`);
  });
});
