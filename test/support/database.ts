/** A fresh, empty database per test file, on the run's PostgreSQL; dropped afterwards. */
import { inject } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.js';

export function testDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(inject('pgAdminUrl'), 'jwt_oidc_test');
}

/**
 * A fresh database with the migrations already applied (a copy of the run's template,
 * test/support/setup-postgres.ts): for servers whose tests are not about migrating.
 */
export function migratedDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(inject('pgAdminUrl'), 'jwt_oidc_test', inject('pgTemplate'));
}

/** One SQL statement on the database at `url` (tests inspect what the service wrote). */
export async function query<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
