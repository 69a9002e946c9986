/**
 * The data generator behind `npm run bench:seed` and the scale scenarios: realistic rows of each
 * kind, written by PostgreSQL itself (`insert … select … from generate_series`, in batches), so
 * that a million of each takes seconds rather than a million round trips.
 *
 * Every value is stored in the form the service stores it (docs/SECURITY.md): refresh tokens and
 * session ids as the SHA-256 of an opaque value (src/util/digest.ts, src/provider/stores/secrets.ts),
 * the client secret as its SHA-256 (src/clients/client-service.ts `hashSecret`), the password as
 * one scrypt hash computed once (src/users/password.ts). The opaque values are derived from a
 * per-run salt and the row's number, so the caller can present them (`seededRefreshToken`).
 *
 * Seeded rows are recognisable by their ids (`SEED_USER_ID_PREFIX`, `SEED_GRANT_ID_PREFIX`,
 * `seed-client-…`): a second seeding continues the numbering (`append`), and refuses without it.
 * test/integration/bench-seed.test.ts signs a seeded user in and refreshes a seeded token through
 * the real service, so the generator cannot drift from the schema.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { CLIENTS_CHANGED_CHANNEL } from '../../src/clients/client-registry.js';
import { hashSecret } from '../../src/clients/client-service.js';
import { hashPassword } from '../../src/users/password.js';

/** The password of every seeded user. */
export const SEED_PASSWORD = 'seeded-password-0123456789';
/** The secret of every seeded client. */
export const SEED_CLIENT_SECRET = 'seeded-client-secret-0123456789abcdef';
export const SEED_USER_ID_PREFIX = '5eed0000-0000-4000-8000-';
export const SEED_GRANT_ID_PREFIX = '5eed0001-0000-4000-8000-';
export const SEED_SCOPE = 'openid profile email offline_access';

/** Word lists: small, so that a search term matches as many rows as it would in a real directory. */
const FIRST = ['Maria', 'Mark', 'Martin', 'Marta', 'Anna', 'Alex', 'David', 'Daniel', 'Sarah', 'Laura', 'Peter', 'Paul', 'Julia', 'James', 'John', 'Emma', 'Olivia', 'Noah', 'Liam', 'Sophie', 'Lucas', 'Mia', 'Elena', 'Ivan', 'Yuki', 'Kenji', 'Aisha', 'Omar', 'Fatima', 'Chen', 'Wei', 'Priya', 'Ravi', 'Lena', 'Tom', 'Nina', 'Hugo', 'Clara', 'Felix', 'Ines'];
const LAST = ['Smith', 'Johnson', 'Brown', 'Garcia', 'Miller', 'Davis', 'Martinez', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell', 'Mueller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Rossi', 'Russo', 'Ferrari', 'Tanaka', 'Suzuki', 'Kim', 'Lee', 'Park', 'Nguyen', 'Tran', 'Singh', 'Kumar', 'Silva', 'Santos', 'Oliveira'];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example', 'corp.example', 'uni.example'];
const ADJECTIVES = ['Blue', 'Red', 'Green', 'Swift', 'Quiet', 'Bright', 'Silver', 'Golden', 'Northern', 'Open', 'Rapid', 'Clever', 'Solid', 'Urban', 'Prime', 'Smart', 'Happy', 'Little', 'Grand', 'Clear'];
const NOUNS = ['Ledger', 'Notes', 'Portal', 'Tracker', 'Shop', 'Console', 'Reader', 'Planner', 'Gateway', 'Studio', 'Wallet', 'Pantry', 'Atlas', 'Harbor', 'Pilot', 'Forge', 'Garden', 'Beacon', 'Bridge', 'Canvas'];
/** One user in 50,000 has this family name, one client in 50,000 this word in its name: the rare search terms. */
export const RARE_FAMILY_NAME = 'Zabriskie';
export const RARE_CLIENT_WORD = 'Quokka';

/** SQL array literal of plain words (no quotes in the lists above). */
const arr = (words: string[]) => `array['${words.join("','")}']`;
/** The i-th word (1-based arrays) for an integer expression. */
const pick = (words: string[], expr: string) => `(${arr(words)})[1 + ((${expr}) % ${words.length})]`;
/** base64url(SHA-256(text)): src/util/digest.ts in SQL. */
const digestSql = (expr: string) => `translate(rtrim(encode(sha256(convert_to(${expr}, 'UTF8')), 'base64'), '='), '+/', '-_')`;
const seededId = (prefix: string, expr: string) => `'${prefix}' || lpad(to_hex(${expr}), 12, '0')`;

export const seededUserId = (n: number) => `${SEED_USER_ID_PREFIX}${n.toString(16).padStart(12, '0')}`;
export const seededGrantId = (n: number) => `${SEED_GRANT_ID_PREFIX}${n.toString(16).padStart(12, '0')}`;
export const seededClientId = (n: number) => `seed-client-${n}`;
/** The opaque value whose digest the generator stored (src/provider/stores/secrets.ts `newOpaqueValue` has the same form). */
const opaque = (salt: string, kind: string, n: number) => createHash('sha256').update(`${salt}:${kind}:${n}`, 'utf8').digest('base64url');
export const seededRefreshToken = (salt: string, n: number) => opaque(salt, 'rt', n);
export const seededSessionId = (salt: string, n: number) => opaque(salt, 'session', n);
/** Username of user n (lower case: stored as the PRECIS mapping, src/users/precis.ts). */
export const seededUsername = (n: number) => `${FIRST[(n * 31) % FIRST.length]!.toLowerCase()}.${(n % 50_000 === 1 ? RARE_FAMILY_NAME : LAST[(n * 17 + Math.floor(n / FIRST.length)) % LAST.length]!).toLowerCase()}.${n}`;
/** The user and client of grant n, given the totals when it was seeded. */
export const grantUser = (n: number, users: number) => 1 + ((n - 1) % users);
export const grantClient = (n: number, clients: number) => 1 + ((n - 1) % clients);

export interface SeedOptions {
  users?: number;
  grants?: number;
  clients?: number;
  /** Rows past their life, spread over the tables the housekeeping sweeps. */
  expired?: number;
  /**
   * When the `expired` rows expire (each a little before it, within a day); default an hour ago.
   * A later instant lets a caller load them first and sweep them later with a clock past it.
   */
  expiredBy?: Date;
  /** Add to a database that already has seeded rows (numbering continues). */
  append?: boolean;
  /** Derives the opaque values (refresh tokens, session ids); random by default. */
  salt?: string;
  /** Rows per statement. */
  batch?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  salt: string;
  /** Seeded rows in the database after this run, by kind. */
  totals: { users: number; clients: number; grants: number };
  /** Rows inserted by this run, by table. */
  inserted: Record<string, number>;
  seconds: number;
}

export class AlreadySeededError extends Error {}

/** The numbering so far: how many seeded users, clients and grants the database holds. */
async function counts(c: pg.Client): Promise<SeedResult['totals']> {
  const between = (prefix: string) => [`${prefix}000000000000`, `${prefix}ffffffffffff`];
  const u = await c.query<{ n: number }>('select count(*)::int as n from users where id between $1 and $2', between(SEED_USER_ID_PREFIX));
  const g = await c.query<{ n: number }>('select count(*)::int as n from grants where id between $1::uuid and $2::uuid', between(SEED_GRANT_ID_PREFIX));
  const cl = await c.query<{ n: number }>(`select count(*)::int as n from clients where id like 'seed-client-%'`);
  return { users: u.rows[0]!.n, grants: g.rows[0]!.n, clients: cl.rows[0]!.n };
}

/** Seeds the database at `url` (already migrated). */
export async function seed(url: string, o: SeedOptions): Promise<SeedResult> {
  const log = o.log ?? (() => undefined);
  const batch = o.batch ?? 100_000;
  const salt = o.salt ?? randomBytes(12).toString('base64url');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const t0 = Date.now();
  const inserted: Record<string, number> = {};
  try {
    // Bulk load: losing the last commits on a crash is harmless here; waiting for each fsync is not.
    await client.query('set synchronous_commit = off');
    const before = await counts(client);
    if (!o.append && (before.users || before.clients || before.grants)) throw new AlreadySeededError(`the database already has seeded rows (${before.users} users, ${before.clients} clients, ${before.grants} grants): pass --append to add more`);
    const passwordHash = await hashPassword(SEED_PASSWORD);
    const secretHash = hashSecret(SEED_CLIENT_SECRET);
    const totals = { users: before.users + (o.users ?? 0), clients: before.clients + (o.clients ?? 0), grants: before.grants + (o.grants ?? 0) };
    if ((o.grants ?? 0) > 0 && (!totals.users || !totals.clients)) throw new Error('grants need users and clients');
    if ((o.expired ?? 0) > 0 && (!totals.users || !totals.grants)) throw new Error('expired rows need seeded users and grants');

    /** Runs `sql` for numbers from..to in batches ($1, $2 the bounds of each); counts and logs. */
    const fill = async (table: string, from: number, count: number, sql: string, params: unknown[] = []) => {
      if (count <= 0) return;
      const t = Date.now();
      let rows = 0;
      for (let lo = from; lo < from + count; lo += batch) {
        const hi = Math.min(from + count - 1, lo + batch - 1);
        rows += (await client.query(sql, [lo, hi, ...params])).rowCount ?? 0;
      }
      inserted[table] = (inserted[table] ?? 0) + rows;
      const s = (Date.now() - t) / 1000;
      log(`${table}: ${rows.toLocaleString('en-US')} rows in ${s.toFixed(1)} s (${Math.round(rows / Math.max(s, 0.001)).toLocaleString('en-US')} rows/s)`);
    };
    const series = 'from generate_series($1::int, $2::int) as n';

    const first = pick(FIRST, 'n * 31');
    const last = `case when n % 50000 = 1 then '${RARE_FAMILY_NAME}' else ${pick(LAST, `n * 17 + n / ${FIRST.length}`)} end`;
    await fill(
      'users',
      before.users + 1,
      o.users ?? 0,
      `insert into users (id, username, email, email_verified, given_name, family_name, locale, active, admin, password_hash, attributes, created_at, updated_at)
       select ${seededId(SEED_USER_ID_PREFIX, 'n')}, lower(f || '.' || l || '.' || n), lower(f || '.' || l || '.' || n) || '@' || ${pick(DOMAINS, 'n')}, true, f, l, 'en-US', true, false, $3, '{}',
              now() - make_interval(mins => n % 500000), now() - make_interval(mins => n % 500000)
       from (select n, ${first} as f, ${last} as l ${series}) s`,
      [passwordHash],
    );
    await fill(
      'clients',
      before.clients + 1,
      o.clients ?? 0,
      `insert into clients (id, secret_hash, name, redirect_uris, grant_types, response_types, first_party, audiences, created_at, updated_at)
       select 'seed-client-' || n, $3,
              case when n % 50000 = 1 then '${RARE_CLIENT_WORD} Works ' || n else ${pick(ADJECTIVES, 'n * 7')} || ' ' || ${pick(NOUNS, `n * 3 + n / ${ADJECTIVES.length}`)} || ' ' || n end,
              jsonb_build_array('https://app-' || n || '.example.com/callback'), '["authorization_code","refresh_token"]', '["code"]', false, '[]', now(), now()
       ${series}`,
      [secretHash],
    );
    // Grants spread over every seeded user and client (those of earlier runs too); each has one live refresh token.
    const userOf = (expr: string) => seededId(SEED_USER_ID_PREFIX, `1 + ((${expr}) - 1) % ${totals.users || 1}`);
    const clientOf = (expr: string) => `'seed-client-' || (1 + ((${expr}) - 1) % ${totals.clients || 1})`;
    await fill(
      'grants',
      before.grants + 1,
      o.grants ?? 0,
      `insert into grants (id, client_id, user_id, scope, auth_time, amr, refresh_count, created_at, expires_at)
       select (${seededId(SEED_GRANT_ID_PREFIX, 'n')})::uuid, ${clientOf('n')}, ${userOf('n')}, '${SEED_SCOPE}', now() - make_interval(mins => n % 43200), '["pwd"]', n % 7,
              now() - make_interval(mins => n % 43200), now() + interval '30 days'
       ${series}`,
    );
    await fill(
      'refresh_tokens',
      before.grants + 1,
      o.grants ?? 0,
      `insert into refresh_tokens (token_hash, grant_id, client_id, scope, expires_at, created_at)
       select ${digestSql(digestSql(`$3 || ':rt:' || n`))}, (${seededId(SEED_GRANT_ID_PREFIX, 'n')})::uuid, ${clientOf('n')}, '${SEED_SCOPE}', now() + interval '30 days', now() - make_interval(mins => n % 43200)
       ${series}`,
      [salt],
    );
    await fill(
      'consents',
      before.grants + 1,
      o.grants ?? 0,
      `insert into consents (user_id, client_id, scopes, created_at, updated_at)
       select ${userOf('n')}, ${clientOf('n')}, '["openid","profile","email","offline_access"]', now(), now() ${series}
       on conflict do nothing`,
    );
    // A live session per user, a revocation entry per ten grants.
    await fill(
      'sessions',
      before.users + 1,
      o.users ?? 0,
      `insert into sessions (id_hash, sid, user_id, auth_time, amr, created_at, expires_at, user_agent, ip)
       select ${digestSql(`$3 || ':session:' || n`)}, 'seed-' || $3 || '-' || n, ${seededId(SEED_USER_ID_PREFIX, 'n')}, now() - make_interval(mins => n % 1440), '["pwd"]',
              now() - make_interval(mins => n % 1440), now() + interval '14 days', 'Mozilla/5.0 (X11; Linux x86_64) Seeded/1.0', '192.0.2.' || (n % 250)
       ${series}`,
      [salt],
    );
    await fill('revoked_tokens', 1, Math.floor((o.grants ?? 0) / 10), `insert into revoked_tokens (jti, expires_at) select 'seed-' || $3 || '-' || n, now() + interval '1 hour' ${series}`, [salt]);

    // Expired rows for the housekeeping sweep (src/db/housekeeping.ts), one sixth per table.
    const expired = o.expired ?? 0;
    const part = Math.floor(expired / 6);
    const rest = expired - 5 * part;
    const by = o.expiredBy ? `'${o.expiredBy.toISOString()}'::timestamptz` : `now() - interval '1 hour'`;
    const past = `${by} - make_interval(secs => 1 + n % 86400)`;
    const grantOf = (expr: string) => `(${seededId(SEED_GRANT_ID_PREFIX, `1 + ((${expr}) - 1) % ${totals.grants || 1}`)})::uuid`;
    await fill(
      'authorization_codes (expired)',
      1,
      part,
      `insert into authorization_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, scope, expires_at, consumed_at)
       select ${digestSql(`$3 || ':code:' || n`)}, g.id, g.client_id, 'https://app.example.com/callback', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', g.scope, ${past}, ${past}
       from generate_series($1::int, $2::int) as n join grants g on g.id = ${grantOf('n')}`,
      [salt],
    );
    await fill(
      'refresh_tokens (expired)',
      1,
      part,
      `insert into refresh_tokens (token_hash, grant_id, client_id, scope, expires_at, rotated_at, created_at)
       select ${digestSql(`$3 || ':old-rt:' || n`)}, g.id, g.client_id, g.scope, ${past}, ${past}, ${past} - interval '30 days'
       from generate_series($1::int, $2::int) as n join grants g on g.id = ${grantOf('n')}`,
      [salt],
    );
    await fill(
      'sessions (expired)',
      1,
      part,
      `insert into sessions (id_hash, sid, user_id, auth_time, created_at, expires_at)
       select ${digestSql(`$3 || ':old-session:' || n`)}, 'seed-old-' || $3 || '-' || n, ${userOf('n')}, ${past} - interval '14 days', ${past} - interval '14 days', ${past} ${series}`,
      [salt],
    );
    await fill(
      'interactions (expired)',
      1,
      part,
      `insert into interactions (uid, cookie_hash, csrf_hash, request, created_at, expires_at)
       select 'seed-' || $3 || '-' || n, ${digestSql(`$3 || ':cookie:' || n`)}, ${digestSql(`$3 || ':csrf:' || n`)},
              jsonb_build_object('client_id', ${clientOf('n')}, 'scope', 'openid', 'response_type', 'code'), ${past} - interval '1 hour', ${past} ${series}`,
      [salt],
    );
    await fill(
      'audit_events (expired)',
      1,
      part,
      `insert into audit_events (id, time, event, outcome, actor, client, ip, message, instance, details, expires_at)
       select gen_random_uuid(), ${past} - interval '90 days', 'login.success', 'success', ${userOf('n')}, ${clientOf('n')}, '192.0.2.1', 'signed in', 'seed', '{}', ${past} ${series}`,
    );
    await fill(
      'failure_events (expired)',
      1,
      rest,
      `insert into failure_events (key, created_at, expires_at, pending)
       select 'login:seed-' || $3 || ':' || (n % 1000), ${past} - interval '15 minutes', ${past}, false ${series}`,
      [salt],
    );

    // A database in service has been vacuumed since its rows were written: their hint bits set,
    // the visibility map current, the dirty pages written. Without this, autovacuum and the
    // checkpointer would do that work during the first measurement after a seed, and their CPU
    // (counted with PostgreSQL's) would be charged to it.
    const t = Date.now();
    await client.query('vacuum (analyze)');
    // CHECKPOINT needs a superuser or pg_checkpoint: without them, the checkpointer catches up by itself.
    await client.query('checkpoint').catch((e: Error) => log(`checkpoint skipped: ${e.message}`));
    log(`vacuum, analyze and checkpoint: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    // Running instances reload their clients (src/clients/client-registry.ts) as after any change.
    if (o.clients) await client.query(`select pg_notify('${CLIENTS_CHANGED_CHANNEL}', '')`);
    const seconds = (Date.now() - t0) / 1000;
    const all = Object.values(inserted).reduce((a, b) => a + b, 0);
    log(`seeded ${all.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(all / Math.max(seconds, 0.001)).toLocaleString('en-US')} rows/s)`);
    return { salt, totals: await counts(client), inserted, seconds };
  } finally {
    await client.end();
  }
}
