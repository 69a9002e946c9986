/**
 * One data directory per mode, as installed: the CLI refuses to run a mode in a directory that
 * another mode made, before it starts anything, with a message that names the owner and the way out.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresPids, runCli } from '../support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'jwt-oidc-data-dirs-'));
afterAll(() => {
  // A cluster moved out of the directory (as root: src/db/embedded/cluster.ts) goes with it.
  const cluster = join(root, 'shared', 'postgres');
  if (existsSync(cluster) && lstatSync(cluster).isSymbolicLink()) rmSync(realpathSync(cluster), { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

/** Every entry under `dir` with its size and modification time: equal snapshots, nothing touched. */
function treeSnapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const stat = lstatSync(join(dir, path));
    entries[path] = `${stat.isDirectory() ? 'dir' : stat.size} ${stat.mtimeMs}`;
  }
  return entries;
}

/** Waits until no postgres process serves `clusterDir` (a CLI run stops its embedded cluster as it exits). */
async function noPostgres(clusterDir: string): Promise<void> {
  for (let i = 0; i < 100 && postgresPids(clusterDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(postgresPids(clusterDir)).toEqual([]);
}

const CLIENT = { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'http://127.0.0.1:9/', JWT_OIDC_CLIENT_ID: 'app', DATABASE_URL: undefined };

describe('a data directory per mode', () => {
  it('the client mode refuses the provider’s directory, in one line', async () => {
    const dir = join(root, 'shared');
    // The provider claims it (its generated key encryption secret lives there).
    const provider = await runCli(['keys', 'status'], { env: { JWT_OIDC_DATA_DIR: dir, DATABASE_URL: undefined, JWT_OIDC_KEY_ENCRYPTION_SECRET: undefined } });
    expect(readFileSync(join(dir, '.jwt-oidc-mode'), 'utf8').trim(), provider.stderr).toBe('provider');

    const client = await runCli(['users', 'list'], { env: { ...CLIENT, JWT_OIDC_DATA_DIR: dir } });
    expect(client.code).not.toBe(0);
    expect(client.stderr).toContain(`${dir} holds the local state of the provider mode`);
    expect(client.stderr).toContain('default .data/client');
    expect(client.stderr).not.toMatch(/\n\s+at /); // one message, no stack
  });

  it('the fake provider refuses it too, before it creates or starts anything there', async () => {
    const dir = join(root, 'shared');
    // The fake keeps its keys, identities and sessions where the provider does (its own
    // embedded PostgreSQL, a generated key encryption secret): none of the provider's may serve it.
    // The cluster itself may live elsewhere, linked from the directory (when the postgres user
    // cannot reach it: src/db/embedded/cluster.ts); it is watched where it is.
    const cluster = realpathSync(join(dir, 'postgres'));
    await noPostgres(cluster);
    const snapshot = () => ({ dataDir: treeSnapshot(dir), cluster: treeSnapshot(cluster) });
    const before = snapshot();
    const fake = await runCli(['serve'], { env: { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'spa', JWT_OIDC_DATA_DIR: dir, DATABASE_URL: undefined, JWT_OIDC_KEY_ENCRYPTION_SECRET: undefined, PORT: '0' } });
    expect(fake.code).not.toBe(0);
    expect(fake.stderr).toContain('holds the local state of the provider mode');
    expect(fake.stderr).toContain('default .data/fake');
    expect(fake.stderr).not.toMatch(/\n\s+at /);
    // Nothing created, changed or started: the provider's cluster stayed down, its log untouched.
    expect(snapshot()).toEqual(before);
    expect(postgresPids(cluster)).toEqual([]);
    expect(readFileSync(join(dir, '.jwt-oidc-mode'), 'utf8').trim()).toBe('provider');
  });
});
