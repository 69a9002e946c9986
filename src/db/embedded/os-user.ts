/**
 * PostgreSQL refuses to run as root. When we are root, the cluster belongs to the `postgres`
 * system user (created if missing), and every directory above the cluster must let that user
 * pass through.
 */
import { execFile } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../log.js';

const run = promisify(execFile);

export interface OsUser {
  uid: number;
  gid: number;
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export async function postgresUser(logger: Logger): Promise<OsUser> {
  const found = await lookup('postgres');
  if (found) return found;
  logger.info('creating the system user "postgres" to run the embedded PostgreSQL');
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = await lookup('postgres');
  if (!created) throw new Error('could not create the system user "postgres" for the embedded PostgreSQL');
  return created;
}

async function lookup(name: string): Promise<OsUser | undefined> {
  try {
    const { stdout } = await run('id', ['-u', name]);
    const { stdout: g } = await run('id', ['-g', name]);
    return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Adds search permission for others (`o+x`, never read) on each ancestor of `path` that lacks
 * it, so the `postgres` user can reach a cluster inside, for example, a 0700 home directory.
 */
export async function ensureTraversable(path: string, logger: Logger): Promise<void> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, (mode & 0o7777) | 0o001);
      logger.warn({ dir }, 'granted search-only permission (o+x) so the postgres user can reach the embedded cluster');
    }
    if (dirname(dir) === dir) return;
  }
}
