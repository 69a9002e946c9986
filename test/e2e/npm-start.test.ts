/**
 * The README's promise, literally: `npm start` serves on a fresh data directory (the deadline is
 * generous: how fast it starts is for benchmarks, and a shared machine under load takes 20 s),
 * SIGTERM (to npm, as a process manager sends it) exits 0 and leaves no postgres behind, and a
 * bad setting exits 2. Also checks that the package's entry points exist in the build.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, finished, postgresPids, ROOT, waitForHttp } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-npm-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npmStart(env: Record<string, string>) {
  const child = spawn('npm', ['start'], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}


describe('npm start', () => {
  it('serves /healthz and /readyz on a fresh data directory; SIGTERM to npm exits 0, leaving no postgres', async () => {
    const child = npmStart({ JWT_OIDC_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const exit = finished(child);
    // PORT=0: read the port from the "listening" log line.
    let url: string | undefined;
    const until = Date.now() + 60_000;
    while (!url && Date.now() < until && child.exitCode === null) {
      url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(child.output())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, child.output()).toBeDefined();
    await waitForHttp(`${url}/readyz`, child, Math.max(until - Date.now(), 1000));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(postgresPids(join(dir, 'postgres')).length).toBeGreaterThan(0);
    // First run: where to create the first administrator, with the code for other machines.
    const port = new URL(url!).port;
    expect(child.output()).toContain(`No administrator yet. Create the first one in a browser: http://localhost:${port}/admin/setup`);
    expect(child.output()).toMatch(/\(setup code [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}; not asked on this machine\)/);
    expect((await fetch(`${url}/admin/setup`)).status).toBe(200);
    // The admin console (built by npm start when its sources changed) sends there too, meanwhile.
    const admin = await fetch(`${url}/admin`, { redirect: 'manual' });
    expect([admin.status, admin.headers.get('location')]).toEqual([303, '/admin/setup']);

    child.kill('SIGTERM');
    expect((await exit).code, child.output()).toBe(0);
    expect(postgresPids(join(dir, 'postgres')).length).toBe(0);
  }, 120_000);

  it('exits 2 naming the setting when one is invalid', async () => {
    const res = await finished(npmStart({ JWT_OIDC_DATA_DIR: dir, JWT_OIDC_SIGNATURE_ALG: 'HS999' }));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('JWT_OIDC_SIGNATURE_ALG: expected one of');
  });
});

describe('package entry points', () => {
  it('point at files the build produces', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e as object)))];
    for (const target of targets) expect(existsSync(join(ROOT, target as string)), target as string).toBe(true);
    expect(existsSync(join(ROOT, pkg.bin['jwt-oidc']))).toBe(true);
  });
});
