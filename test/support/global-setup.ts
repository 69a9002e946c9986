/**
 * One PostgreSQL for the whole run: the embedded one in a temporary directory, or the server of
 * `DATABASE_URL` (then only databases this run creates are touched). Test files create their
 * own databases on it (test/support/database.ts), so they can run in parallel.
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

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('pgAdminUrl', external);
    return async () => undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'jwt-oidc-test-'));
  await chmod(dir, 0o755); // the postgres user must enter it when we run as root (trap 7)
  const cluster = await acquireEmbeddedPostgres({ clusterDir: join(dir, 'postgres'), logger: createLogger({ level: 'warn' }) });
  project.provide('pgAdminUrl', cluster.adminUrl);
  return async () => {
    await cluster.release();
    await rm(dir, { recursive: true, force: true });
  };
}
