/** The embedded cluster's sharing rules, in-process: first in starts, last out stops. */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { createLogger } from '../../src/log.js';

const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function clusterDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-cluster-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return join(dir, 'postgres');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('embedded PostgreSQL sharing', () => {
  it('lets two processes that start at the same moment share one server; the last to leave stops it', async () => {
    const dir = clusterDir();
    const [a, b] = await Promise.all([acquireEmbeddedPostgres({ clusterDir: dir, logger }), acquireEmbeddedPostgres({ clusterDir: dir, logger })]);
    expect(a.port).toBe(b.port);
    expect([a.started, b.started].filter(Boolean)).toHaveLength(1);
    const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    await a.release();
    expect(await answers(b.url)).toBe(true); // b still uses it
    await b.release();
    expect(isAlive(pid)).toBe(false);
    await b.release(); // idempotent
  });

  it('is stopped when its two users leave at the same moment', async () => {
    // Each one checking "am I the last?" while the other still holds its share must not make
    // both conclude that the other one stays.
    const dir = clusterDir();
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([acquireEmbeddedPostgres({ clusterDir: dir, logger }), acquireEmbeddedPostgres({ clusterDir: dir, logger })]);
      const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      await Promise.all([a.release(), b.release()]);
      const orphaned = isAlive(pid);
      if (orphaned) process.kill(pid, 'SIGQUIT'); // leave nothing behind when this fails
      expect(orphaned, `round ${round}`).toBe(false);
    }
  });

  it('initialises an empty directory in place (a mounted volume) and keeps data across starts', async () => {
    const dir = clusterDir();
    mkdirSync(dir);
    const first = await acquireEmbeddedPostgres({ clusterDir: dir, logger });
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query(`create table kept (v text); insert into kept values ('still here')`);
    await client.end();
    await first.release();

    const second = await acquireEmbeddedPostgres({ clusterDir: dir, logger });
    expect(second.started).toBe(true);
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    expect((await again.query('select v from kept')).rows).toEqual([{ v: 'still here' }]);
    await again.end();
    await second.release();
  });

  it('refuses a non-empty directory that is not a cluster, without touching it', async () => {
    const dir = clusterDir();
    mkdirSync(dir);
    const marker = join(dir, 'important.txt');
    writeFileSync(marker, 'do not delete');
    await expect(acquireEmbeddedPostgres({ clusterDir: dir, logger })).rejects.toThrow(/exists but holds no PostgreSQL cluster/);
    expect(readFileSync(marker, 'utf8')).toBe('do not delete');
  });
});
