/**
 * For development scripts: the server of `DATABASE_URL`, or the embedded cluster of the data
 * directory, as an admin URL plus a release function.
 */
import { join, resolve } from 'node:path';
import { acquireEmbeddedPostgres } from '../src/db/embedded/cluster.js';
import { createLogger } from '../src/log.js';

export async function devDatabaseServer(): Promise<{ adminUrl: string; release(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, release: async () => undefined };
  const logger = createLogger({ level: 'warn' });
  const dataDir = resolve(process.env.JWT_OIDC_DATA_DIR ?? '.data');
  const cluster = await acquireEmbeddedPostgres({ clusterDir: join(dataDir, 'postgres'), logger });
  return { adminUrl: cluster.adminUrl, release: () => cluster.release() };
}
