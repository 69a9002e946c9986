/**
 * An embedded PostgreSQL cluster in `<DATA_DIR>/postgres`, shared by every jwt-oidc process on
 * that data directory: the first one starts the server, the others connect to it, and the last
 * one to leave stops it. "Using" the cluster means holding a share of an advisory lock on a
 * dedicated connection; a process that, having given up its share, can take the whole lock is
 * the last user. A server left running by a crashed process is simply reused (and stopped by
 * the last user); a stale `postmaster.pid` is removed.
 *
 * As root the server runs as the `postgres` user, which may not be able to reach the data
 * directory (a checkout in a 0700 home directory): a new cluster is then created under
 * CLUSTER_HOME and `<DATA_DIR>/postgres` is a symbolic link to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import pg from 'pg';
import type { Logger } from '../../log.js';
import { locateBinaries } from './binaries.js';
import { asUser, canReach, isRoot, postgresUser, type OsUser } from './os-user.js';
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
/**
 * Where, as root, a new cluster goes when the postgres user cannot reach the data directory:
 * the usual place for a service's state, traversable by everyone, each cluster inside 0700.
 */
const CLUSTER_HOME = '/var/lib/jwt-oidc';

/** The clusters this process uses, so that a shutdown cut short can still release them. */
const inUse = new Set<EmbeddedPostgres>();

export async function acquireEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const database = options.database ?? 'jwt_oidc';
  const dataDir = dirname(options.clusterDir);
  const owner = isRoot() ? await postgresUser(logger) : undefined;
  // 0711 as root: the postgres user may pass through to a cluster inside, never list it.
  await mkdir(dataDir, { recursive: true, mode: owner ? 0o711 : 0o700 });

  const binaries = await locateBinaries(owner !== undefined);
  const clusterDir = await prepareCluster({ clusterDir: options.clusterDir, initdb: binaries.initdb, owner, logger });
  const password = await readPassword(clusterDir);
  const server: ServerOptions = { postgres: binaries.postgres, clusterDir, owner, logFile: join(dataDir, 'postgres.log'), password, logger };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    const { port, started } = await runningOrStartedServer(server, options.port, deadline);
    const base = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const lock = await takeShare(`${base}/postgres`);
    if (lock) {
      const cluster = registered({ url: `${base}/${database}`, adminUrl: `${base}/postgres`, port, started }, lock, clusterDir, logger);
      try {
        await ensureDatabase(lock, database);
      } catch (e) {
        await cluster.release(); // we may be its only user: do not leave it running
        throw e;
      }
      return cluster;
    }
    // Its last user is stopping it right now: wait for it to go, then start it again.
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL in ${clusterDir} kept stopping while we joined it`);
    await sleep(100);
  }
}

/**
 * Releases every embedded cluster this process uses (stopping those it is the last user of):
 * for a shutdown cut short, which must not leave a server behind.
 */
export async function releaseAllEmbeddedPostgres(): Promise<void> {
  await Promise.all([...inUse].map((cluster) => cluster.release()));
}

function registered(info: Omit<EmbeddedPostgres, 'release'>, lock: pg.Client, clusterDir: string, logger: Logger): EmbeddedPostgres {
  let released: Promise<void> | undefined;
  const cluster: EmbeddedPostgres = {
    ...info,
    release: () =>
      (released ??= releaseCluster(lock, clusterDir, logger).finally(() => {
        inUse.delete(cluster);
      })),
  };
  inUse.add(cluster);
  return cluster;
}

interface ServerOptions {
  postgres: string;
  clusterDir: string;
  owner: OsUser | undefined;
  logFile: string;
  password: string;
  logger: Logger;
}

/** The port of the cluster's server: the one already running, or one this process starts. */
async function runningOrStartedServer(server: ServerOptions, wantedPort: number | undefined, deadline: number): Promise<{ port: number; started: boolean }> {
  const { clusterDir, password, logFile, logger } = server;
  let portTaken = 0;
  for (;;) {
    const running = await runningServer(clusterDir);
    if (running) {
      if (await waitUntilReady(running.port, password, deadline, () => !isAlive(running.pid))) return { port: running.port, started: false };
      continue; // It went away while starting or stopping; look again.
    }
    const port = wantedPort ?? (await freePort());
    const exited = await startServer({ ...server, port });
    if (await waitUntilReady(port, password, deadline, () => exited.done)) {
      logger.info({ port, clusterDir }, 'embedded PostgreSQL started');
      return { port, started: true };
    }
    // Exited early: another process may have won a race to start the same cluster.
    if (!(await runningServer(clusterDir))) {
      // A free port picked here may be bound by another program before PostgreSQL binds it;
      // pick another, a few times, unless the port was asked for.
      const log = await logTail(logFile);
      if (wantedPort === undefined && portTaken++ < 3 && /Address already in use/i.test(log)) continue;
      throw new Error(`the embedded PostgreSQL did not start; see ${logFile}:\n${await logTail(logFile)}`);
    }
  }
}

/**
 * A connection holding a share of the usage lock; `undefined` when the server is being stopped
 * by its last user (who holds the whole lock) or went away meanwhile.
 */
async function takeShare(url: string): Promise<pg.Client | undefined> {
  const lock = new pg.Client({ connectionString: url, application_name: 'jwt-oidc embedded usage' });
  lock.on('error', () => undefined); // terminated by the server's shutdown at release
  try {
    await lock.connect();
    const { rows } = await lock.query<{ ok: boolean }>(`select pg_try_advisory_lock_shared(${USAGE_LOCK_KEY}) as ok`);
    if (rows[0]?.ok === true) return lock;
  } catch {
    // Shutting down: "the database system is shutting down", or the connection cut.
  }
  await lock.end().catch(() => undefined);
  return undefined;
}

async function releaseCluster(lock: pg.Client, clusterDir: string, logger: Logger): Promise<void> {
  let last = false;
  try {
    // Give up our share before asking for the whole lock: when two users leave at the same
    // moment, each still holding its share while asking would make both conclude that the
    // other stays. This way the later of the two asks after the other let go, and gets it.
    await lock.query(`select pg_advisory_unlock_shared(${USAGE_LOCK_KEY})`);
    const { rows } = await lock.query<{ last: boolean }>(`select pg_try_advisory_lock(${USAGE_LOCK_KEY}) as last`);
    last = rows[0]?.last === true;
  } catch {
    // The server is already gone (stopped by someone else, or crashed): nothing to stop.
  }
  if (last) {
    // Keep holding the whole lock while stopping: a newcomer cannot take a share meanwhile,
    // and waits to start the server afresh instead of joining one about to go.
    await stopServer(clusterDir);
    logger.info({ clusterDir }, 'embedded PostgreSQL stopped');
  }
  await lock.end().catch(() => undefined);
}

async function readPassword(clusterDir: string): Promise<string> {
  const passwordFile = join(clusterDir, PASSWORD_FILE);
  const text = await readFile(passwordFile, 'utf8').catch(() => {
    throw new Error(`${passwordFile} is missing: the embedded cluster's password is lost (remove ${clusterDir} to start afresh)`);
  });
  return text.trim();
}

interface InitOptions {
  clusterDir: string;
  initdb: string;
  owner: OsUser | undefined;
  logger: Logger;
}

/**
 * The directory the server runs on (where `clusterDir` leads), with a cluster in it: an
 * existing one, or one initialised now. As root, the postgres user must be able to reach it.
 */
async function prepareCluster(options: InitOptions): Promise<string> {
  const { clusterDir, owner } = options;
  let dir = await followLink(clusterDir);
  if (!(await exists(join(dir, 'PG_VERSION')))) {
    if (dir !== clusterDir) throw new Error(`${clusterDir} leads to ${dir}, which holds no PostgreSQL cluster; remove ${clusterDir} to start afresh`);
    await initCluster({ ...options, home: await newClusterHome(options) });
    dir = await followLink(clusterDir);
  }
  if (owner && !(await canReach(dir, owner))) {
    throw new Error(
      `the postgres user (PostgreSQL does not run as root) cannot reach ${dir}: let it traverse the directories above, or set JWT_OIDC_DATA_DIR to a directory it can reach (the cluster is then created afresh), or DATABASE_URL`,
    );
  }
  return dir;
}

/** Where a symbolic link `path` points (as an absolute path); otherwise `path` itself. */
async function followLink(path: string): Promise<string> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return path;
  return resolvePath(dirname(path), await readlink(path));
}

/**
 * Where to build a new cluster that the postgres user could not reach at `clusterDir`: a fresh
 * directory under CLUSTER_HOME (named after the data directory, for whoever lists it); otherwise
 * `undefined`, for the cluster to be built at `clusterDir` itself.
 */
async function newClusterHome({ clusterDir, owner, logger }: InitOptions): Promise<string | undefined> {
  const dataDir = dirname(clusterDir);
  if (!owner || (await exists(clusterDir)) || (await canReach(dataDir, owner))) return undefined;
  const cannot = (why: string) =>
    new Error(`the postgres user (PostgreSQL does not run as root) cannot reach ${dataDir}, and ${CLUSTER_HOME} cannot hold its cluster instead (${why}): set JWT_OIDC_DATA_DIR to a directory it can traverse, or DATABASE_URL`);
  try {
    // Ours: created for the service, so made traversable whatever the umask.
    if ((await mkdir(CLUSTER_HOME, { recursive: true, mode: 0o755 })) !== undefined) await chmod(CLUSTER_HOME, 0o755);
  } catch (e) {
    throw cannot((e as NodeJS.ErrnoException).code ?? String(e));
  }
  if (!(await canReach(CLUSTER_HOME, owner))) throw cannot('the postgres user cannot traverse it');
  const name = (await realpath(dataDir)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+/, '').slice(-80);
  const home = join(CLUSTER_HOME, `${name}-${randomBytes(4).toString('hex')}`);
  logger.info({ dataDir, cluster: home }, 'the postgres user cannot reach the data directory: the embedded cluster goes elsewhere, linked from it');
  return home;
}

/**
 * `initdb` into a temporary directory put in place once complete (renamed, or linked when it
 * lives in `home`): a crash never leaves half a cluster. An empty directory (a mounted volume,
 * say) is initialised in place.
 */
async function initCluster({ clusterDir, initdb, owner, logger, home }: InitOptions & { home: string | undefined }): Promise<void> {
  const inPlace = await isEmptyDir(clusterDir);
  if (inPlace === false) {
    throw new Error(`${clusterDir} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away to start afresh`);
  }
  logger.info({ clusterDir }, 'initialising the embedded PostgreSQL cluster');
  const password = randomBytes(24).toString('base64url');
  const work = inPlace ? clusterDir : (home ?? `${clusterDir}.init-${randomBytes(4).toString('hex')}`);
  const pwDir = await mkdtemp(join(tmpdir(), 'jwt-oidc-pw-'));
  let kept = inPlace === true;
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
    if (!inPlace) kept = home ? await linkIntoPlace(work, clusterDir) : await renameIntoPlace(work, clusterDir);
  } catch (e) {
    if (inPlace) await emptyDir(clusterDir);
    throw e;
  } finally {
    if (!kept) await rm(work, { recursive: true, force: true });
    await rm(pwDir, { recursive: true, force: true });
  }
}

/** Whether `work` became the cluster (`false`: another process initialised it at the same moment: use theirs). */
async function renameIntoPlace(work: string, clusterDir: string): Promise<boolean> {
  try {
    await rename(work, clusterDir);
    return true;
  } catch (e) {
    if (await exists(join(clusterDir, 'PG_VERSION'))) return false;
    throw e;
  }
}

/** As renameIntoPlace, for a cluster that stays where it was built and is linked to. */
async function linkIntoPlace(work: string, clusterDir: string): Promise<boolean> {
  try {
    await symlink(work, clusterDir);
    return true;
  } catch (e) {
    if (await exists(join(clusterDir, 'PG_VERSION'))) return false;
    throw e;
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

/** Starts the server; the answer tells whether it has exited since (it may lose a race at once). */
async function startServer({ postgres, clusterDir, port, owner, logFile }: StartOptions): Promise<{ done: boolean }> {
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
      ...asUser(owner),
    });
    // Watched from the start: it may exit (losing a race to start the same cluster) while we
    // still close the log file below, and an exit nobody listened to is not heard again.
    const exited = exitWatcher(child);
    child.unref();
    return exited;
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
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...asUser(owner) });
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
