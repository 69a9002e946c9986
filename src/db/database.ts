/**
 * Opening the database: the server at `DATABASE_URL`, or else the embedded cluster in
 * `<DATA_DIR>/postgres`; then migrations (under an advisory lock, so instances starting together
 * do not race) when `MIGRATE_ON_START` is on or the caller asks.
 */
import { claimDatabaseMode } from './database-mode.js';
import { join, resolve } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Settings } from '../config/load.js';
import { claimDataDir } from '../config/data-dir.js';
import type { Logger } from '../log.js';
import { acquireEmbeddedPostgres, type EmbeddedPostgres } from './embedded/cluster.js';
import { ormConfig } from './orm-config.js';

export interface Database {
  orm: MikroORM;
  /** `embedded`: our own cluster in the data directory; `external`: `DATABASE_URL`. */
  kind: 'embedded' | 'external';
  /** Connection URL (with credentials: never log it), for dedicated connections such as LISTEN. */
  url: string;
  /** Whether the database answers within `timeoutMs` (default 2 s). Never throws. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Closes the pool and, for the embedded cluster, ends this process's use of it. Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Apply migrations now (default: the `migrateOnStart` setting). */
  migrate?: boolean;
  poolMax?: number;
}

/** Advisory lock held while migrating ("jwtmigr" in hex). */
const MIGRATION_LOCK_KEY = '0x6a77746d696772';

export async function openDatabase(
  settings: Pick<Settings, 'databaseUrl' | 'dataDir' | 'migrateOnStart'> & Partial<Pick<Settings, 'type'>>,
  logger: Logger,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = settings.databaseUrl;
  if (url === undefined) {
    if (settings.type) await claimDataDir(settings.dataDir, settings.type);
    embedded = await acquireEmbeddedPostgres({ clusterDir: join(resolve(settings.dataDir), 'postgres'), logger });
    url = embedded.url;
  }
  let orm: MikroORM;
  try {
    orm = await MikroORM.init(ormConfig({ clientUrl: url, poolMax: options.poolMax, log: (message) => logger.debug({ orm: true }, message) }));
  } catch (e) {
    await embedded?.release();
    throw new DatabaseUnavailableError(e);
  }
  const clientUrl = url;
  let closed: Promise<void> | undefined;
  const db: Database = {
    orm,
    kind: embedded ? 'embedded' : 'external',
    url: clientUrl,
    ping: (timeoutMs = 2000) => ping(orm, timeoutMs),
    migrate: () => migrate(orm, clientUrl, logger),
    close: () =>
      (closed ??= (async () => {
        await orm.close(true).catch((e) => logger.warn({ err: e }, 'closing the database pool failed'));
        await embedded?.release();
      })()),
  };
  if (options.migrate ?? settings.migrateOnStart) {
    try {
      await db.migrate();
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  if (settings.type) {
    try {
      await claimDatabaseMode(orm, settings.type);
    } catch (e) {
      // Not migrated yet (MIGRATE_ON_START=false): the first open after `migrate` claims it.
      if ((e as { code?: string }).code === '42P01') return db;
      await db.close();
      throw e;
    }
  }
  return db;
}

async function ping(orm: MikroORM, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
  const query = orm.em
    .getConnection()
    .execute('select 1')
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function migrate(orm: MikroORM, url: string, logger: Logger): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url, application_name: 'jwt-oidc migrations' });
  await lock.connect();
  try {
    await lock.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    const done = await orm.getMigrator().up();
    const names = done.map((m) => m.name);
    if (names.length > 0) logger.info({ migrations: names }, 'database migrated');
    return names;
  } finally {
    await lock.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

/** The database could not be reached at start. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'ERR_DATABASE_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`cannot connect to the database: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}
