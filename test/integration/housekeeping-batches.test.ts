/**
 * The housekeeping sweep in bounded batches (src/db/housekeeping.ts): a backlog of many batches
 * goes in one pass, rows at the injected clock's instant or later stay (`expires_at < now`),
 * instances sweeping at once delete each row once, the metrics callback sees the totals, and
 * stop() ends a long pass after its current batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { Housekeeping } from '../../src/db/housekeeping.js';
import { createLogger } from '../../src/log.js';
import { migratedDatabase, query } from '../support/database.js';
import type { ScratchDatabase } from '../../src/db/scratch.js';

const T = Date.parse('2026-12-04T12:00:00Z');
const logger = createLogger({ level: 'silent' });
let scratch: ScratchDatabase;
let db: Database;

beforeAll(async () => {
  scratch = await migratedDatabase();
  db = await openDatabase({ databaseUrl: scratch.url, dataDir: '.data', migrateOnStart: false }, logger);
});
afterAll(async () => {
  await db?.close();
  await scratch?.drop();
});

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => query<T>(scratch.url, text, params);
const count = async (table: string) => (await sql<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
/** `n` rows of `table` expiring at T + offsetMs, keys prefixed with `tag`. */
const rows = (table: 'revoked_tokens' | 'dpop_proofs', tag: string, n: number, offsetMs: number) =>
  sql(`insert into ${table} (${table === 'revoked_tokens' ? 'jti' : 'key'}, expires_at) select $1 || i, $2::timestamptz from generate_series(1, $3::int) i`, [tag, new Date(T + offsetMs), n]);
const sweeper = (clock: ManualClock, extra: Partial<ConstructorParameters<typeof Housekeeping>[0]> = {}) => new Housekeeping({ orm: db.orm, clock, logger, intervalMs: 0, tables: ['revoked_tokens', 'dpop_proofs'], batchSize: 100, ...extra });

describe('housekeeping in batches', () => {
  it('sweeps a backlog of many batches in one pass, and nothing at or after the boundary', async () => {
    await rows('revoked_tokens', 'old-', 1234, -1);
    await rows('revoked_tokens', 'edge-', 50, 0);
    await rows('revoked_tokens', 'live-', 50, 1);
    await rows('dpop_proofs', 'old-', 250, -60_000);
    await rows('dpop_proofs', 'live-', 10, 60_000);
    const clock = new ManualClock(T);
    const seen: Record<string, number>[] = [];
    const deleted = await sweeper(clock, { onDeleted: (d) => seen.push(d) }).run();
    expect(deleted).toEqual({ revoked_tokens: 1234, dpop_proofs: 250 });
    expect(seen).toEqual([deleted]);
    expect(await sql(`select count(*)::int as n, min(jti) as lo from revoked_tokens where jti like 'old-%'`)).toEqual([{ n: 0, lo: null }]);
    expect(await count('revoked_tokens')).toBe(100);
    expect(await count('dpop_proofs')).toBe(10);
    // One millisecond later the rows expiring exactly at T have passed too; the later ones stay.
    clock.advance(1);
    expect(await sweeper(clock).run()).toEqual({ revoked_tokens: 50 });
    expect((await sql<{ jti: string }>(`select jti from revoked_tokens where jti not like 'live-%'`)).length).toBe(0);
    expect(await count('revoked_tokens')).toBe(50);
  });

  it('instances sweeping at once delete every expired row once, and only those', async () => {
    await rows('revoked_tokens', 'burst-', 3000, -1000);
    const clock = new ManualClock(T);
    const passes = await Promise.all(Array.from({ length: 4 }, () => sweeper(clock).run()));
    expect(passes.reduce((a, d) => a + (d.revoked_tokens ?? 0), 0)).toBe(3000);
    expect(await count('revoked_tokens')).toBe(50);
  });

  it('stop() ends a long pass after its current batch', async () => {
    await rows('revoked_tokens', 'slow-', 2000, -1000);
    const h = sweeper(new ManualClock(T), { batchSize: 10 });
    const pass = h.run();
    await h.stop();
    const deleted = await pass;
    expect(deleted.revoked_tokens ?? 0).toBeLessThan(2000);
    expect(await count('revoked_tokens')).toBe(50 + 2000 - (deleted.revoked_tokens ?? 0));
  });
});
