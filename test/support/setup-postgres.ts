/**
 * One PostgreSQL for the whole run: the embedded one in a temporary directory, or the server of
 * `DATABASE_URL` (then only databases this run creates are touched). Test files create their
 * own databases on it (test/support/database.ts), so they can run in parallel.
 *
 * Every project whose tests need a database lists this file (vitest.config.ts). Vitest runs the
 * global setup of each project separately, each in its own module graph, so the cluster is kept
 * on `globalThis`: the first project starts it, the last one to finish stops it.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { acquireEmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { createLogger } from '../../src/log.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

interface RunCluster {
  adminUrl: string;
  stop(): Promise<void>;
}

interface Shared {
  users: number;
  cluster: Promise<RunCluster>;
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

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('pgAdminUrl', external);
    return;
  }
  const shared = (registry[KEY] ??= { users: 0, cluster: startCluster() });
  shared.users++;
  project.provide('pgAdminUrl', (await shared.cluster).adminUrl);
  return async () => {
    if (--shared.users > 0) return;
    registry[KEY] = undefined;
    await (await shared.cluster).stop();
  };
}
