/**
 * An embedded PostgreSQL cluster in `<DATA_DIR>/postgres`, shared by every jwt-oidc process on
 * that data directory: the first one starts the server, the others connect to it, and the last
 * one to leave stops it. "Using" the cluster means holding a shared advisory lock on a dedicated
 * connection; a process that can take the same lock exclusively at release is the last user.
 * A server left running by a crashed process is simply reused (and stopped by the last user);
 * a stale `postmaster.pid` is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../../log.js';
import { locateBinaries } from './binaries.js';
import { ensureTraversable, isRoot, postgresUser, type OsUser } from './os-user.js';
import { freePort } from '../../util/free-port.js';

export interface EmbeddedPostgresOptions {
  /** The cluster directory, usually `<DATA_DIR>/postgres`. */
  clusterDir: string;
  /** Database created for the application (default `jwt_oidc`). */
  database?: string;
  logger: Logger;
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /** The port when this process starts the server (default: a free one). */
  port?: number;
}

export interface EmbeddedPostgres {
  /** Connection URL of the application database. */
  url: string;
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  /** Whether this process started the server (otherwise it joined a running one). */
  started: boolean;
  /** Ends this process's use of the cluster; the last user stops the server. Idempotent. */
  release(): Promise<void>;
}

/** Advisory lock key marking "this process uses the embedded cluster" ("jwtoidc" in hex). */
const USAGE_LOCK_KEY = '0x6a77746f696463';
const SUPERUSER = 'postgres';
const PASSWORD_FILE = 'jwt-oidc-superuser.password';

export async function acquireEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { clusterDir, logger } = options;
  const database = options.database ?? 'jwt_oidc';
  const dataDir = dirname(clusterDir);
  const root = isRoot();
  const owner = root ? await postgresUser(logger) : undefined;
  await mkdir(dataDir, { recursive: true, mode: root ? 0o711 : 0o700 });
  if (root) await ensureTraversable(clusterDir, logger);

  const binaries = await locateBinaries(root);
  // Inside the cluster directory: renamed into place together with the cluster it opens.
  const passwordFile = join(clusterDir, PASSWORD_FILE);
  if (!(await exists(join(clusterDir, 'PG_VERSION')))) {
    await initCluster({ clusterDir, initdb: binaries.initdb, owner, logger });
  }
  const password = (await readFile(passwordFile, 'utf8').catch(() => {
    throw new Error(`${passwordFile} is missing: the embedded cluster's password is lost (remove ${clusterDir} to start afresh)`);
  })).trim();

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let started = false;
  let port: number;
  for (;;) {
    const running = await runningServer(clusterDir);
    if (running) {
      port = running.port;
      if (await waitUntilReady(port, password, deadline, () => !isAlive(running.pid))) break;
      continue; // It went away while starting or stopping; look again.
    }
    port = options.port ?? (await freePort());
    const child = await startServer({ postgres: binaries.postgres, clusterDir, port, owner, logFile: join(dataDir, 'postgres.log') });
    const exited = exitWatcher(child);
    if (await waitUntilReady(port, password, deadline, () => exited.done)) {
      started = true;
      logger.info({ port, clusterDir }, 'embedded PostgreSQL started');
      break;
    }
    // Exited early: another process may have won a race to start the same cluster.
    if (!(await runningServer(clusterDir))) {
      throw new Error(`the embedded PostgreSQL did not start; see ${join(dataDir, 'postgres.log')}:\n${await logTail(join(dataDir, 'postgres.log'))}`);
    }
  }

  const base = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const lock = new pg.Client({ connectionString: `${base}/postgres`, application_name: 'jwt-oidc embedded usage' });
  lock.on('error', () => undefined); // terminated by the server's shutdown at release
  await lock.connect();
  await lock.query(`select pg_advisory_lock_shared(${USAGE_LOCK_KEY})`);
  await ensureDatabase(lock, database);

  let released: Promise<void> | undefined;
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    port,
    started,
    release: () => (released ??= releaseCluster(lock, clusterDir, logger)),
  };
}

async function releaseCluster(lock: pg.Client, clusterDir: string, logger: Logger): Promise<void> {
  let last = false;
  try {
    const { rows } = await lock.query<{ last: boolean }>(`select pg_try_advisory_lock(${USAGE_LOCK_KEY}) as last`);
    last = rows[0]?.last === true;
  } catch {
    // The server is already gone (stopped by someone else, or crashed): nothing to stop.
  }
  if (last) {
    // Keep the lock connection open while stopping, so no newcomer slips in between.
    await stopServer(clusterDir);
    logger.info({ clusterDir }, 'embedded PostgreSQL stopped');
  }
  await lock.end().catch(() => undefined);
}

interface InitOptions {
  clusterDir: string;
  initdb: string;
  owner: OsUser | undefined;
  logger: Logger;
}

/** `initdb` into a temporary directory renamed into place: a crash never leaves half a cluster. */
async function initCluster({ clusterDir, initdb, owner, logger }: InitOptions): Promise<void> {
  // An empty directory (a mounted volume, say) is initialised in place; otherwise the cluster is
  // built beside it and renamed into place, so a crash never leaves half a cluster.
  const inPlace = await isEmptyDir(clusterDir);
  if (inPlace === false) {
    throw new Error(`${clusterDir} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away to start afresh`);
  }
  logger.info({ clusterDir }, 'initialising the embedded PostgreSQL cluster');
  const password = randomBytes(24).toString('base64url');
  const work = inPlace ? clusterDir : `${clusterDir}.init-${randomBytes(4).toString('hex')}`;
  const pwDir = await mkdtemp(join(tmpdir(), 'jwt-oidc-pw-'));
  try {
    if (inPlace) await chmod(work, 0o700);
    else await mkdir(work, { mode: 0o700 });
    const pwFile = join(pwDir, 'pw');
    await writeFile(pwFile, password, { mode: 0o600 });
    if (owner) {
      await chown(work, owner.uid, owner.gid);
      await chown(pwDir, owner.uid, owner.gid);
      await chown(pwFile, owner.uid, owner.gid);
    }
    const args = ['-D', work, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-locale', '--no-instructions'];
    const { code, output } = await runToEnd(initdb, args, owner);
    if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output.slice(-2000)}`);
    await writeFile(join(work, PASSWORD_FILE), password, { mode: 0o600 });
    if (!inPlace) {
      try {
        await rename(work, clusterDir);
      } catch (e) {
        // Another process initialised the same directory at the same moment: use theirs.
        if (!(await exists(join(clusterDir, 'PG_VERSION')))) throw e;
      }
    }
  } catch (e) {
    if (inPlace) await emptyDir(clusterDir);
    throw e;
  } finally {
    if (!inPlace) await rm(work, { recursive: true, force: true });
    await rm(pwDir, { recursive: true, force: true });
  }
}

/** `undefined`: no such directory; otherwise whether it is empty. */
async function isEmptyDir(path: string): Promise<boolean | undefined> {
  if (!(await exists(path))) return undefined;
  return (await readdir(path)).length === 0;
}

async function emptyDir(path: string): Promise<void> {
  for (const entry of await readdir(path)) await rm(join(path, entry), { recursive: true, force: true });
}

interface StartOptions {
  postgres: string;
  clusterDir: string;
  port: number;
  owner: OsUser | undefined;
  logFile: string;
}

async function startServer({ postgres, clusterDir, port, owner, logFile }: StartOptions): Promise<ChildProcess> {
  const log = await open(logFile, 'a', 0o600);
  try {
    const args = [
      '-D', clusterDir,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
    ];
    // Detached: a Ctrl-C in the terminal reaches us, and we stop the server in order.
    const child = spawn(postgres, args, {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    child.unref();
    return child;
  } finally {
    await log.close();
  }
}

/** Stops the server whose pid is in `postmaster.pid`: fast shutdown, then immediate. */
async function stopServer(clusterDir: string): Promise<void> {
  const running = await runningServer(clusterDir);
  if (!running) return;
  for (const [signal, waitMs] of [['SIGINT', 30_000], ['SIGQUIT', 5_000]] as const) {
    try {
      process.kill(running.pid, signal);
    } catch {
      return;
    }
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      if (!isAlive(running.pid)) return;
      await sleep(25);
    }
  }
}

/** The live server of this cluster, from `postmaster.pid`; removes the file when stale. */
async function runningServer(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined; // being written right now
  if (isAlive(pid) && (await isPostgres(pid))) return { pid, port };
  // Left behind by a crash (or the pid now belongs to another program).
  await rm(pidFile, { force: true });
  return undefined;
}

async function waitUntilReady(port: number, password: string, deadline: number, gone: () => boolean): Promise<boolean> {
  while (Date.now() < deadline) {
    if (gone()) return false;
    const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres', connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await sleep(100);
    }
  }
  throw new Error(`the embedded PostgreSQL did not accept connections on port ${port} in time`);
}

async function ensureDatabase(client: pg.Client, database: string): Promise<void> {
  const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
  if (rowCount) return;
  try {
    await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } catch (e) {
    // Created concurrently by another process: 42P04, or 23505 when both inserted at once.
    const code = (e as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw e;
  }
}

function exitWatcher(child: ChildProcess): { done: boolean } {
  const state = { done: false };
  child.once('exit', () => (state.done = true));
  child.once('error', () => (state.done = true));
  return state;
}

function runToEnd(cmd: string, args: string[], owner: OsUser | undefined): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}


function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isPostgres(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined ? true : cmdline.includes('postgres');
}

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

/** Whether `path` exists; any answer other than "no such file" (EACCES…) is an error. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new Error(`cannot access ${path} (${code}): the embedded cluster belongs to another user, or its directory is not reachable`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
