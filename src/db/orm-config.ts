/**
 * MikroORM configuration. Also the default export the MikroORM CLI finds through package.json
 * (`mikro-orm.configPaths`), with the connection from `DATABASE_URL`.
 */
import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { entities } from './entities/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Running from TypeScript sources (swc loader, vitest) or from the build in dist/. */
const fromSource = import.meta.url.endsWith('.ts');
/** The repository root: src/db → ../.., dist/src/db → ../../.. */
const root = fromSource ? join(here, '..', '..') : join(here, '..', '..', '..');

export const MIGRATIONS_DIR = join(root, 'migrations');
export const MIGRATIONS_BUILD_DIR = join(root, 'dist', 'migrations');

export interface OrmConfigOptions {
  clientUrl: string;
  /** Receives MikroORM's own messages (default: discarded). */
  log?: (message: string) => void;
  /** Pool size per process (default 10). */
  poolMax?: number;
  debug?: boolean;
}

export function ormConfig({ clientUrl, poolMax = 10, debug = false, log }: OrmConfigOptions): Options {
  const quiet = (message: unknown) => log?.(String(message));
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    debug,
    logger: log ?? (() => undefined),
    // Metadata comes from explicit `type` options; no ts-morph at run time.
    discovery: { warnWhenNoEntities: true },
    // Bounded waits: with the database down a request fails in seconds instead of hanging.
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 10_000, acquireTimeoutMillis: 10_000 },
    driverOptions: {
      connection: { application_name: 'jwt-oidc', connectionTimeoutMillis: 5_000, statement_timeout: 30_000 },
      // knex's own warnings ("Connection Error: …") would go to the console.
      log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet },
    },
    forceUtcTimezone: true,
    // Fail loudly instead of silently starting a new context (every request has its own).
    allowGlobalContext: false,
    // vitest and the swc loader: an import() inside MikroORM's own package bypasses them and
    // cannot load the .ts migrations; one made from this file goes through them.
    dynamicImportProvider: (id: string) => import(id),
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: fromSource ? MIGRATIONS_DIR : MIGRATIONS_BUILD_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: fromSource ? '!(*.d).ts' : '!(*.d).js',
      silent: true,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      fileName: (timestamp: string, name?: string) => `Migration${timestamp}${name ? `_${name}` : ''}`,
    },
  });
}

export default ormConfig({ clientUrl: process.env.DATABASE_URL ?? 'postgres://localhost/jwt_oidc' });
