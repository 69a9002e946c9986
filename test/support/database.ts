/** A fresh database per test file, on the run's PostgreSQL; dropped afterwards. */
import { inject } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.js';

export function testDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(inject('pgAdminUrl'), 'jwt_oidc_test');
}
