/**
 * The token endpoint's form lane (src/http/form-lane.ts): a plain POST of /token is answered
 * before the router, and must answer exactly as the routed endpoint does — a query string takes
 * the ordinary route, which the endpoint ignores. Compared side by side: grants, refusals, body
 * parser errors, the request id, the log line, and the address behind a trusted proxy.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvider, type TestProvider } from '../support/provider.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let p: TestProvider;
let basic: string;
let clientId: string;
beforeAll(async () => {
  // An issuer with a path: the lane's path is the issuer's path and /token. A trusted proxy on loopback.
  const port = await freePort();
  p = await startProvider({ PORT: String(port), JWT_OIDC_ISSUER: `http://127.0.0.1:${port}/tenant-a`, JWT_OIDC_TRUST_PROXY: 'loopback', JWT_OIDC_API_SCOPES: 'api' }, { captureLogs: true });
  const client = await p.createClient({ name: 'Service', grantTypes: ['client_credentials'] });
  clientId = client.clientId;
  basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}, 60_000);
afterAll(() => p?.close());

const FORM = 'application/x-www-form-urlencoded';
const IGNORED = ['date', 'x-request-id'];

async function both(init: { body?: string; headers?: Record<string, string> }): Promise<[Response, Response]> {
  const url = `${p.issuer}/token`;
  const request = { method: 'POST', headers: { 'content-type': FORM, ...init.headers }, body: init.body };
  return Promise.all([fetch(url, request), fetch(`${url}?routed=1`, request)]);
}

function headers(r: Response): Record<string, string> {
  const out: Record<string, string> = {};
  r.headers.forEach((v, k) => {
    if (!IGNORED.includes(k)) out[k] = v;
  });
  return out;
}

/** The two answers are the same: status, headers (bar date and request id), body (bar the token). */
async function expectSame([fast, routed]: [Response, Response], status: number): Promise<Record<string, unknown>> {
  const [a, b] = [await fast.text(), await routed.text()];
  expect(fast.status, a).toBe(status);
  expect(routed.status, b).toBe(status);
  expect(headers(fast)).toEqual(headers(routed));
  const strip = (t: string) => {
    const body = JSON.parse(t) as Record<string, unknown>;
    if (typeof body.access_token === 'string') body.access_token = 'token';
    return body;
  };
  expect(strip(a)).toEqual(strip(b));
  return JSON.parse(a) as Record<string, unknown>;
}

describe('the form lane (POST /token answered before the router)', () => {
  it('issues the same tokens with the same headers as the routed endpoint', async () => {
    const body = await expectSame(await both({ body: 'grant_type=client_credentials&scope=api', headers: { authorization: basic } }), 200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'api' });
    const [fast] = await both({ body: 'grant_type=client_credentials', headers: { authorization: basic } });
    expect(fast.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(fast.headers.get('x-frame-options')).toBe('DENY');
    expect(fast.headers.get('vary')).toBe('Origin');
    expect(fast.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses as the routed endpoint does: wrong secret, unknown grant, no form, body parser errors', async () => {
    const wrong = `Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}`;
    expect((await expectSame(await both({ body: 'grant_type=client_credentials', headers: { authorization: wrong } }), 401)).error).toBe('invalid_client');
    expect((await expectSame(await both({ body: 'grant_type=password', headers: { authorization: basic } }), 400)).error).toBe('unsupported_grant_type');
    expect((await expectSame(await both({ body: '{}', headers: { authorization: basic, 'content-type': 'application/json' } }), 400)).error).toBe('invalid_request');
    // Body parser errors, answered by the application's error handler.
    const many = Array.from({ length: 101 }, (_, i) => `p${i}=1`).join('&');
    expect((await expectSame(await both({ body: many, headers: { authorization: basic } }), 413)).error_description).toBe('Too many parameters.');
    expect((await expectSame(await both({ body: `a=${'x'.repeat(70_000)}`, headers: { authorization: basic } }), 413)).error_description).toBe('The request body is too large.');
    expect((await expectSame(await both({ body: 'grant_type=client_credentials', headers: { authorization: basic, 'content-type': `${FORM}; charset=koi8-r` } }), 415)).error_description).toBe('Unsupported charset.');
  });

  it('echoes a sane X-Request-Id, replaces an insane one, and logs the request once as the router would', async () => {
    const url = `${p.issuer}/token`;
    const sent = (id: string) => fetch(url, { method: 'POST', headers: { 'content-type': FORM, authorization: basic, 'x-request-id': id }, body: 'grant_type=client_credentials' });
    expect((await sent('trace-12345678')).headers.get('x-request-id')).toBe('trace-12345678');
    const replaced = (await sent('x\'><script>')).headers.get('x-request-id')!;
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const lines = p.logs.filter((l) => l.msg === 'request' && l.requestId === replaced);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'POST', path: '/tenant-a/token', status: 200, level: 30 });
    expect(typeof lines[0]!.ms).toBe('number');
  });

  it('sees the client address behind the trusted proxy, as the router does (the audit event names it)', async () => {
    const forwarded = { authorization: basic, 'x-forwarded-for': '203.0.113.9' };
    const [fast, routed] = await both({ body: 'grant_type=client_credentials', headers: forwarded });
    expect([fast.status, routed.status]).toEqual([200, 200]);
    const issued = p.logs.filter((l) => l.event === 'token.issued' && l.client === clientId && l.ip === '203.0.113.9');
    expect(issued).toHaveLength(2);
  });

  it('leaves cross-origin requests, other methods and other spellings of the path to the router', async () => {
    const url = `${p.issuer}/token`;
    const cors = await fetch(url, { method: 'POST', headers: { 'content-type': FORM, authorization: basic, origin: 'https://elsewhere.example' }, body: 'grant_type=client_credentials' });
    expect(cors.status).toBe(200);
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic }, body: 'grant_type=client_credentials' })).status).toBe(200);
  });
});
