/**
 * The Prometheus endpoint on its own port (JWT_OIDC_METRICS_PORT): a code flow, a refused token
 * request, a key rotation and a housekeeping pass, then each metric scraped with its labels and
 * counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SESSION_CACHE_MS } from '../../src/metrics.js';
import { login, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = pick(samples, name, labels);
  expect(found.length, `${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

describe('metrics endpoint', () => {
  let p: TestProvider;
  const clock = new ManualClock();

  beforeAll(async () => {
    p = await startProvider({ JWT_OIDC_METRICS_PORT: '0' }, { clock });
  });
  afterAll(() => p?.close());

  const scrape = async () => {
    const res = await fetch(p.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };

  it('OB-01 listens on its own loopback port, and only /metrics', async () => {
    expect(p.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(p.metricsUrl!).port).not.toBe(String(p.port));
    expect((await fetch(new URL('/', p.metricsUrl)).then((r) => r.status))).toBe(404);
    expect((await fetch(`${p.url}/metrics`)).status).toBe(404);
    // Node's default metrics are there.
    expect(value(await scrape(), 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });

  it('OB-02 counts tokens by grant type and client, refusals by reason, logins by outcome, and times routes; no user id or raw path in a label', async () => {
    const user = await p.createUser();
    const client = await p.createClient();
    await tokensFor(p, client, user);
    await tokensFor(p, client, user);
    // A wrong password (the login page answers again: no redirect), then an unknown code (invalid_grant).
    await expect(login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: user.username, password: 'wrong' })).rejects.toThrow();
    expect((await tokenRequest(p, { grant_type: 'authorization_code', code: 'nope', redirect_uri: client.redirectUri, code_verifier: 'x'.repeat(43) }, client)).status).toBe(400);

    const s = await scrape();
    expect(value(s, 'jwt_oidc_tokens_issued_total', { grant_type: 'authorization_code', client: client.clientId })).toBe(2);
    expect(value(s, 'jwt_oidc_refusals_total', { endpoint: 'token', reason: 'invalid_grant' })).toBe(1);
    expect(value(s, 'jwt_oidc_logins_total', { outcome: 'success' })).toBe(2);
    expect(value(s, 'jwt_oidc_logins_total', { outcome: 'failure' })).toBe(1);
    // Three token requests, by route pattern and status; no raw paths (the interaction ids).
    expect(value(s, 'jwt_oidc_http_request_duration_seconds_count', { method: 'POST', route: '/token', status: '200' })).toBe(2);
    expect(value(s, 'jwt_oidc_http_request_duration_seconds_count', { method: 'POST', route: '/token', status: '400' })).toBe(1);
    const routes = new Set(pick(s, 'jwt_oidc_http_request_duration_seconds_count').map((x) => x.labels.route));
    expect([...routes].some((r) => r!.includes(':'))).toBe(true);
    for (const r of routes) expect(r).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}|[A-Za-z0-9_-]{20,}/);
    // No user id anywhere in the labels.
    for (const x of s) expect(Object.values(x.labels)).not.toContain(user.id);
    // The live sessions are read at most every 5 s (of the clock): the first scrape's 0 stays.
    expect(value(s, 'jwt_oidc_sessions_active')).toBe(0);
    clock.advance(SESSION_CACHE_MS);
    expect(value(await scrape(), 'jwt_oidc_sessions_active')).toBe(2);
    const pool = value(s, 'jwt_oidc_db_pool_connections_in_use');
    expect(pool).toBeGreaterThanOrEqual(0);
    expect(value(s, 'jwt_oidc_db_pool_requests_waiting')).toBe(0);
  });

  it('reports the signing keys\' age and the time to the next rotation, per family, on the clock', async () => {
    const before = await scrape();
    const age0 = value(before, 'jwt_oidc_signing_key_age_seconds', { family: 'primary' })!;
    const next0 = value(before, 'jwt_oidc_signing_key_next_rotation_seconds', { family: 'primary' })!;
    expect(next0).toBeGreaterThan(0);
    // ES256 signs; the RS256 family OIDC Discovery requires is kept too.
    expect(value(before, 'jwt_oidc_signing_key_age_seconds', { family: 'rs256' })).toBeGreaterThanOrEqual(0);
    clock.advance(60_000);
    const later = await scrape();
    expect(value(later, 'jwt_oidc_signing_key_age_seconds', { family: 'primary' })).toBeCloseTo(age0 + 60, 3);
    expect(value(later, 'jwt_oidc_signing_key_next_rotation_seconds', { family: 'primary' })).toBeCloseTo(Math.max(0, next0 - 60), 3);
    await p.keys!.rotate({ now: true });
    const rotated = await scrape();
    expect(value(rotated, 'jwt_oidc_signing_key_age_seconds', { family: 'primary' })).toBe(0);
  });

  it('times the documents answered before Express by their path', async () => {
    const path = '/.well-known/openid-configuration';
    const count = () => scrape().then((s) => value(s, 'jwt_oidc_http_request_duration_seconds_count', { method: 'GET', route: path, status: '200' }) ?? 0);
    const before = await count();
    expect((await fetch(`${p.url}${path}`)).status).toBe(200);
    expect((await fetch(`${p.url}${path}`)).status).toBe(200);
    expect(await count()).toBe(before + 2);
  });

  it('counts the rows housekeeping deletes, by table', async () => {
    clock.advance(40 * 24 * 3600_000);
    const deleted = await p.housekeeping!.run();
    expect(Object.keys(deleted).length).toBeGreaterThan(0);
    const s = await scrape();
    for (const [table, n] of Object.entries(deleted)) expect(value(s, 'jwt_oidc_housekeeping_rows_deleted_total', { table })).toBe(n);
  });
});
