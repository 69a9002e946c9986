/**
 * `npm run bench:seed -- --users 1000000 --grants 1000000 [--clients N] [--expired N] [--append]
 * [--salt S] [--database-url URL]`
 *
 * Fills a jwt-oidc database with realistic rows (bench/lib/seed.ts): users (password
 * SEED_PASSWORD), clients (secret SEED_CLIENT_SECRET, default 10,000), grants with one live
 * refresh token each, consents, sessions, and expired rows for the housekeeping sweep (default:
 * as many as grants). Without --database-url: the database `jwt_oidc_bench_seed` on the bench's
 * PostgreSQL (DATABASE_URL, or the embedded cluster of the data directory: scripts/dev-database.ts),
 * created and migrated when missing. Refuses a database that already has seeded rows unless
 * --append. Prints the salt the refresh tokens and session ids derive from.
 */
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/log.js';
import { devDatabaseServer } from '../scripts/dev-database.js';
import { AlreadySeededError, seed, SEED_CLIENT_SECRET, SEED_PASSWORD, type SeedOptions } from './lib/seed.js';

const DEFAULT_DATABASE = 'jwt_oidc_bench_seed';

function parse(argv: string[]): SeedOptions & { databaseUrl?: string } {
  const out: SeedOptions & { databaseUrl?: string } = { clients: 10_000 };
  const count = (flag: string, v: string | undefined) => {
    const n = Number(v?.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, not ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--users') out.users = count(flag, value());
    else if (flag === '--grants') out.grants = count(flag, value());
    else if (flag === '--clients') out.clients = count(flag, value());
    else if (flag === '--expired') out.expired = count(flag, value());
    else if (flag === '--append') out.append = true;
    else if (flag === '--salt') out.salt = value();
    else if (flag === '--database-url') out.databaseUrl = value();
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run bench:seed -- --users N --grants N [--clients N] [--expired N] [--append] [--salt S] [--database-url URL]');
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  out.expired ??= out.grants ?? 0;
  return out;
}

/** The bench's own database: created on its server when missing. */
async function defaultDatabase(): Promise<{ url: string; release(): Promise<void> }> {
  const server = await devDatabaseServer();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [DEFAULT_DATABASE]);
    if (!exists.rowCount) await admin.query(`create database "${DEFAULT_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.adminUrl);
  url.pathname = `/${DEFAULT_DATABASE}`;
  return { url: url.toString(), release: server.release };
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  const target = o.databaseUrl ? { url: o.databaseUrl, release: async () => undefined } : await defaultDatabase();
  try {
    // The schema first (a no-op when it is current): the rows are written for the latest one.
    const db = await openDatabase({ databaseUrl: target.url, dataDir: '.data', migrateOnStart: true }, createLogger({ level: 'warn' }));
    await db.close();
    const log = (line: string) => process.stderr.write(`[seed] ${line}\n`);
    const result = await seed(target.url, { ...o, log });
    const where = new URL(target.url);
    where.password = '';
    console.log(JSON.stringify({ database: where.toString(), salt: result.salt, password: SEED_PASSWORD, clientSecret: SEED_CLIENT_SECRET, totals: result.totals, inserted: result.inserted, seconds: result.seconds }, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof AlreadySeededError) {
      process.stderr.write(`bench:seed: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await target.release();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:seed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
