/**
 * PostgreSQL refuses to run as root. When we are root, the cluster belongs to the `postgres`
 * system user (created if missing), which must be able to reach the cluster's directory. We
 * never open up directories we do not own to make that so: cluster.ts puts the cluster where
 * that user can reach it instead.
 */
import { execFile, spawn } from 'node:child_process';
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
 * Options to spawn a command as `user` (without supplementary groups, as Node does), from `/`:
 * our own working directory, a checkout in a 0700 home say, may be closed to that user.
 */
export function asUser(user: OsUser | undefined): { uid?: number; gid?: number; cwd?: string } {
  return user ? { uid: user.uid, gid: user.gid, cwd: '/' } : {};
}

/**
 * Whether `user` can enter the directory `path`: asked of the kernel, as that user, since
 * owners, groups and ACLs along the way all have their say.
 */
export function canReach(path: string, user: OsUser): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'test -d "$1" && test -x "$1"', 'sh', path], { stdio: 'ignore', ...asUser(user) });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * Adds search permission for others (`o+x`, never read) on each ancestor of `path` that lacks
 * it. The service never does this (it changes no permissions outside its data directory); the
 * tests use it to let an ordinary user run the checkout.
 */
export async function ensureTraversable(path: string, logger: Logger): Promise<void> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, (mode & 0o7777) | 0o001);
      logger.warn({ dir }, 'granted search-only permission (o+x) on a directory');
    }
    if (dirname(dir) === dir) return;
  }
}
