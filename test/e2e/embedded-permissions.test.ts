/**
 * As root, PostgreSQL runs as the `postgres` user, which cannot enter a checkout in a 0700 home
 * directory (CI clones into one). The service must still start there without changing any
 * permission outside its data directory, keep the cluster's files private, and let the CLI
 * join the cluster it runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { isRoot } from '../../src/db/embedded/os-user.js';
import { createLogger } from '../../src/log.js';
import { cliEnv, finished, postgresPids, ROOT, servingUrl } from '../support/cli.js';

const cleanup: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  // Also after a failure: nothing left running, nothing left on disk.
  for (const child of children) child.kill('SIGKILL');
  for (const path of cleanup) {
    for (const pid of postgresPids(path)) process.kill(pid, 'SIGQUIT');
    rmSync(path, { recursive: true, force: true });
  }
});


/** The mode of `path` and of every directory above it, up to `/`. */
function modesUpFrom(path: string): Record<string, string> {
  const modes: Record<string, string> = {};
  for (let dir = path; ; dir = dirname(dir)) {
    modes[dir] = (statSync(dir).mode & 0o7777).toString(8);
    if (dirname(dir) === dir) return modes;
  }
}

/** Every file and directory under `dir` (itself included) whose mode lets others in at all. */
function openToOthers(dir: string): string[] {
  const open: string[] = [];
  const visit = (path: string) => {
    const info = lstatSync(path);
    if (info.isSymbolicLink()) return;
    if (info.mode & 0o007) open.push(`${path} ${(info.mode & 0o7777).toString(8)}`);
    if (info.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(dir);
  return open;
}

/** The real command, as installed (test/support/cli.ts), run from `cwd` (as `npm start` runs from the checkout). */
function command(cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/jwt-oidc.js'), ...args], { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out, exit: finished(child) });
}

describe.runIf(isRoot())('the embedded PostgreSQL as root', () => {
  it('RC-10 starts in a checkout under a 0700 directory, changing no permission above the data directory; the cluster stays private and the CLI joins it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'jwt-oidc-home-'));
    chmodSync(home, 0o700);
    cleanup.push(home);
    const checkout = join(home, 'checkout');
    mkdirSync(checkout);
    chmodSync(checkout, 0o755);
    const dataDir = join(checkout, '.data'); // the default data directory
    cleanup.push(join(dataDir, 'postgres'));
    const before = { ...modesUpFrom(checkout), '/var/lib': modesUpFrom('/var/lib')['/var/lib'] };

    const server = command(checkout, ['serve'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    await servingUrl(server, 30_000);
    const clusterLink = join(dataDir, 'postgres');
    const clusterDir = resolve(dataDir, readlinkSync(clusterLink));
    cleanup.unshift(clusterDir);
    expect({ ...modesUpFrom(checkout), '/var/lib': modesUpFrom('/var/lib')['/var/lib'] }).toEqual(before);

    // The cluster: the postgres user's, 0700, nothing inside open to others.
    const postgresUid = Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):/m)?.[1]);
    expect(statSync(clusterDir).uid).toBe(postgresUid);
    expect((statSync(clusterDir).mode & 0o777).toString(8)).toBe('700');
    expect(openToOthers(clusterDir)).toEqual([]);
    expect(postgresPids(clusterDir).length).toBeGreaterThan(0);
    const postmaster = readFileSync(join(clusterLink, 'postmaster.pid'), 'utf8').split('\n')[0];

    // The CLI, from the same checkout, joins the running cluster rather than starting another.
    const migrate = command(checkout, ['migrate']);
    const migrated = await migrate.exit;
    expect(migrated.code, migrate.output()).toBe(0);
    expect(migrated.stdout).toContain('up to date');
    expect(readFileSync(join(clusterLink, 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(postmaster);

    server.kill('SIGTERM');
    expect((await server.exit).code, server.output()).toBe(0);
    expect(postgresPids(clusterDir)).toEqual([]);
    expect({ ...modesUpFrom(checkout), '/var/lib': modesUpFrom('/var/lib')['/var/lib'] }).toEqual(before);
  });

  it('keeps a cluster in the data directory itself when the postgres user can reach it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-reachable-'));
    chmodSync(dir, 0o755);
    cleanup.push(dir);
    const clusterDir = join(dir, 'postgres');
    const cluster = await acquireEmbeddedPostgres({ clusterDir, logger: createLogger({ level: 'silent' }) });
    try {
      expect(lstatSync(clusterDir).isDirectory()).toBe(true);
      expect(postgresPids(clusterDir).length).toBeGreaterThan(0);
    } finally {
      await cluster.release();
    }
  });
});
