/**
 * One PostgreSQL for the whole run: the embedded one in a temporary directory, or the server of
 * `DATABASE_URL` (then only databases this run creates are touched). Test files create their
 * own databases on it (test/support/database.ts), so they can run in parallel.
 *
 * Every project whose tests need a database lists this file (vitest.config.ts). Vitest runs the
 * global setup of each project separately, each in its own module graph, so the cluster is kept
 * on `globalThis`: the first project starts it, the last one to finish stops it.
 *
 * Beside it, a database migrated once (TEMPLATE): the servers that tests start in-process begin
 * on a copy of it (test/support/database.ts `migratedDatabase`) instead of running every
 * migration again — about a third of a second of CPU per server, a hundred servers a run. The
 * migrations themselves run from an empty database wherever a test is about them (the command's
 * `migrate`, the first start of the built service, the drift test).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.js';
import { acquireEmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { createScratchDatabase } from '../../src/db/scratch.js';
import { createLogger } from '../../src/log.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** The name of the migrated template database on that server. */
    pgTemplate: string;
  }
}

interface RunCluster {
  adminUrl: string;
  stop(): Promise<void>;
}

interface Shared {
  users: number;
  cluster: Promise<RunCluster>;
  template: Promise<Template>;
}

interface Template {
  name: string;
  drop(): Promise<void>;
}

const KEY = '__jwtOidcTestPostgres';
const registry = globalThis as unknown as Record<typeof KEY, Shared | undefined>;

async function startCluster(): Promise<RunCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-oidc-test-'));
  await chmod(dir, 0o755); // the postgres user must enter it when we run as root (PostgreSQL refuses root: src/db/embedded/os-user.ts)
  const cluster = await acquireEmbeddedPostgres({ clusterDir: join(dir, 'postgres'), logger: createLogger({ level: 'warn' }) });
  return {
    adminUrl: cluster.adminUrl,
    async stop() {
      await cluster.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A database with every migration applied and nothing else (no keys, no mode claimed). */
async function migratedTemplate(adminUrl: string): Promise<Template> {
  const scratch = await createScratchDatabase(adminUrl, 'jwt_oidc_template');
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '.data', migrateOnStart: true }, createLogger({ level: 'warn' }));
  await db.close(); // a template must have no connection while it is copied
  return { name: scratch.name, drop: scratch.drop };
}

/** The run's server and template, started by the first project that asks (never once more per project). */
function share(): Shared {
  const external = process.env.DATABASE_URL;
  const cluster = external ? Promise.resolve({ adminUrl: external, stop: async () => undefined }) : startCluster();
  return { users: 0, cluster, template: cluster.then((c) => migratedTemplate(c.adminUrl)) };
}

export default async function setup(project: TestProject) {
  const shared = (registry[KEY] ??= share());
  shared.users++;
  project.provide('pgAdminUrl', (await shared.cluster).adminUrl);
  project.provide('pgTemplate', (await shared.template).name);
  return async () => {
    if (--shared.users > 0) return;
    registry[KEY] = undefined;
    await (await shared.template).drop();
    await (await shared.cluster).stop();
  };
}
