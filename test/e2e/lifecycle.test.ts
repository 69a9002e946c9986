/**
 * The service as a user runs it, on the embedded PostgreSQL of a data directory: start, serve,
 * share the cluster with the CLI, stop on SIGTERM leaving nothing behind, keep data across
 * restarts, recover from crashes.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTraversable, isRoot } from '../../src/db/embedded/os-user.js';
import { createLogger } from '../../src/log.js';
import { finished, ROOT, runCli, servingUrl, spawnCli } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) {
    for (const pid of postgresPids(join(dir, 'postgres'))) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-life-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

/** Live postgres processes serving `clusterDir`, found through /proc. */
function postgresPids(clusterDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('/postgres') && cmd.includes(clusterDir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function serve(dir: string, extra: { uid?: number; gid?: number; env?: Record<string, string> } = {}) {
  const started = Date.now();
  const child = spawnCli(['serve'], { JWT_OIDC_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extra.env }, { uid: extra.uid, gid: extra.gid });
  const exit = finished(child);
  // A first start initialises a cluster and runs every migration: generous on a shared, loaded machine.
  const url = await servingUrl(child, 60_000);
  return { child, url, readyMs: Date.now() - started, exit };
}

describe('the service on its embedded PostgreSQL', () => {
  it('starts from nothing, shares its cluster with the CLI, stops cleanly on SIGTERM, keeps data across restarts', async () => {
    const dir = dataDir();
    const clusterDir = join(dir, 'postgres');
    const first = await serve(dir);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect(postgresPids(clusterDir).length).toBeGreaterThan(0);
    const postmaster = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    // The CLI joins the running cluster instead of starting another, and leaves it running.
    const created = await runCli(['users', 'create', '--username', 'persisted', '--password-stdin', '--json'], {
      env: { JWT_OIDC_DATA_DIR: dir },
      input: 'a durable password',
    });
    expect(created.code, created.stderr).toBe(0);
    expect(Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0])).toBe(postmaster);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    first.child.kill('SIGTERM');
    const result = await first.exit;
    expect(result.code, first.child.output()).toBe(0);
    expect(postgresPids(clusterDir)).toEqual([]);
    expect(first.child.output()).toContain('embedded PostgreSQL stopped');

    // With no server running, the CLI starts the cluster itself and stops it again.
    const listed = await runCli(['users', 'list', '--json'], { env: { JWT_OIDC_DATA_DIR: dir } });
    expect(JSON.parse(listed.stdout).map((u: { username: string }) => u.username)).toEqual(['persisted']);
    expect(postgresPids(clusterDir)).toEqual([]);

    const second = await serve(dir);
    second.child.kill('SIGINT');
    expect((await second.exit).code).toBe(0);
    expect(postgresPids(clusterDir)).toEqual([]);
  }, 180_000);

  it('recovers after a crash: reuses an orphaned server, then ignores a stale pid file', async () => {
    const dir = dataDir();
    const clusterDir = join(dir, 'postgres');
    const crashed = await serve(dir);
    crashed.child.kill('SIGKILL');
    await crashed.exit;
    const orphans = postgresPids(clusterDir);
    expect(orphans.length).toBeGreaterThan(0); // the server outlived its parent

    const adopter = await serve(dir);
    adopter.child.kill('SIGTERM');
    expect((await adopter.exit).code).toBe(0);
    expect(postgresPids(clusterDir)).toEqual([]); // the last user stopped the orphan

    // A postmaster.pid naming a process that no longer exists, as after a power cut.
    const dead = spawnSync('true').pid!;
    writeFileSync(join(clusterDir, 'postmaster.pid'), `${dead}\n${clusterDir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n`);
    const restarted = await serve(dir);
    restarted.child.kill('SIGTERM');
    expect((await restarted.exit).code).toBe(0);
    expect(postgresPids(clusterDir)).toEqual([]);
  }, 180_000);

  it('never touches the embedded cluster when DATABASE_URL is set', async () => {
    const dir = dataDir();
    const res = await runCli(['users', 'list'], { env: { JWT_OIDC_DATA_DIR: dir, DATABASE_URL: 'postgres://nobody:wrong@127.0.0.1:1/none' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cannot connect to the database/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(isRoot())('runs as an ordinary user too (not only as root)', async () => {
    const nobody = { uid: 65534, gid: 65534 };
    const dir = dataDir();
    chownSync(dir, nobody.uid, nobody.gid);
    // The checkout may sit in a 0700 home directory (CI): let the ordinary user reach it.
    await ensureTraversable(join(ROOT, 'package.json'), createLogger({ level: 'silent' }));
    const server = await serve(dir, { ...nobody, env: { HOME: dir } });
    const owner = spawnSync('stat', ['-c', '%u', join(dir, 'postgres')]).stdout.toString().trim();
    expect(owner).toBe(String(nobody.uid));
    server.child.kill('SIGTERM');
    expect((await server.exit).code).toBe(0);
    expect(postgresPids(join(dir, 'postgres'))).toEqual([]);
  });
});
