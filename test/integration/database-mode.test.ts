/**
 * A database belongs to the mode that first opened it (src/db/database-mode.ts): a fake or a
 * client-mode instance pointed at a provider's database refuses to start, before it serves
 * anything, and the other way round; instances of one mode share it; of modes racing for a new
 * database, exactly one wins.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { DatabaseModeError } from '../../src/db/database-mode.js';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/log.js';
import { query, testDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

const logger = createLogger({ level: 'silent', pretty: false });
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const FAKE = { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'spa', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };
const open = (url: string, type: 'provider' | 'client' | 'fake') => openDatabase({ databaseUrl: url, dataDir: '.data', migrateOnStart: true, type }, logger);

describe('a database per mode', () => {
  it('the fake mode refuses a provider\'s database, and writes nothing to it', async () => {
    const provider = await startTestServer({ JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40) });
    servers.push(provider);
    const users = await query(provider.databaseUrl, 'select count(*)::int as n from users');
    const error = await startTestServer({ ...FAKE, DATABASE_URL: provider.databaseUrl, JWT_OIDC_DATA_DIR: '/nonexistent/fake' }).then(
      (s) => {
        servers.push(s);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseModeError);
    expect(String((error as Error).message)).toMatch(/belongs to the provider mode; the fake mode needs a database of its own/);
    expect(await query(provider.databaseUrl, 'select mode from database_owner')).toEqual([{ mode: 'provider' }]);
    expect(await query(provider.databaseUrl, 'select count(*)::int as n from users')).toEqual(users);
    expect(await query(provider.databaseUrl, "select 1 from clients where id = 'spa'")).toEqual([]);
  });

  it('the provider refuses a fake\'s database; a second instance of one mode shares it', async () => {
    const scratch = await testDatabase();
    try {
      const a = await open(scratch.url, 'fake');
      const b = await open(scratch.url, 'fake');
      await expect(open(scratch.url, 'provider')).rejects.toThrow(/belongs to the fake mode; the provider mode/);
      await expect(open(scratch.url, 'client')).rejects.toBeInstanceOf(DatabaseModeError);
      await a.close();
      await b.close();
    } finally {
      await scratch.drop();
    }
  });

  it('of three modes opening a new database at once, exactly one owns it', async () => {
    for (let round = 0; round < 3; round++) {
      const scratch = await testDatabase();
      try {
        const results = await Promise.allSettled((['provider', 'client', 'fake'] as const).map((m) => open(scratch.url, m)));
        const opened = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof open>>> => r.status === 'fulfilled');
        expect(opened).toHaveLength(1);
        const [{ mode }] = await query<{ mode: string }>(scratch.url, 'select mode from database_owner');
        for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toContain(`belongs to the ${mode} mode`);
        await opened[0]!.value.close();
      } finally {
        await scratch.drop();
      }
    }
  });

  it('a database opened without a mode (tools, migrations) is not claimed', async () => {
    const scratch = await testDatabase();
    try {
      const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '.data', migrateOnStart: true }, logger);
      expect(await query(scratch.url, 'select * from database_owner')).toEqual([]);
      await db.close();
      expect(loadSettings({ env: { ...FAKE, DATABASE_URL: scratch.url } }).settings.type).toBe('fake');
    } finally {
      await scratch.drop();
    }
  });
});
