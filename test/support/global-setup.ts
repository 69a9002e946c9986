/**
 * One PostgreSQL for the whole run: the embedded one in a temporary directory, or the server of
 * `DATABASE_URL` (then only databases this run creates are touched). Test files create their
 * own databases on it (test/support/database.ts), so they can run in parallel.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { acquireEmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { createLogger } from '../../src/log.js';
import { copyGraphiql } from '../../scripts/copy-graphiql.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/**
 * Tests run the real command (`bin/jwt-oidc.js` → `dist/`, which loads the workspace packages
 * from each `packages/<name>/dist`), so compile the packages, then the service, once per run, as
 * `npm run build` does (without deleting first: a process already running keeps its files),
 * including its copy of the GraphQL IDE's files into dist/assets/graphiql.
 * Type errors are reported by `npm run typecheck`, not here.
 */
const PROJECTS = ['packages/resource/tsconfig.json', 'packages/apollo/tsconfig.json', 'packages/express/tsconfig.json', 'tsconfig.build.json'];

function tsc(project: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { cwd: new URL('../..', import.meta.url) }, (err, stdout) => {
      if (err && !/error TS/.test(stdout)) reject(err);
      else resolve();
    });
  });
}

async function build(): Promise<void> {
  // In dependency order: each package compiles against the declarations of the one before.
  for (const project of PROJECTS) await tsc(project);
  copyGraphiql();
}

export default async function setup(project: TestProject) {
  const built = build();
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('pgAdminUrl', external);
    await built;
    return async () => undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'jwt-oidc-test-'));
  await chmod(dir, 0o755); // the postgres user must enter it when we run as root (trap 7)
  const cluster = await acquireEmbeddedPostgres({ clusterDir: join(dir, 'postgres'), logger: createLogger({ level: 'warn' }) });
  project.provide('pgAdminUrl', cluster.adminUrl);
  await built;
  return async () => {
    await cluster.release();
    await rm(dir, { recursive: true, force: true });
  };
}
