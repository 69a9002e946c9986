/**
 * Server-side sessions of a relying party: the browser holds a 256-bit random id in an HttpOnly
 * cookie, the server keeps the data (tokens included) under its SHA-256. A store is three
 * operations; `PostgresSessionStore` keeps them in PostgreSQL through the `pg` package, an
 * optional peer dependency loaded only when this store is used.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SessionStore {
  get(idHash: string): Promise<Record<string, unknown> | undefined>;
  set(idHash: string, data: Record<string, unknown>, expiresAt: number): Promise<void>;
  destroy(idHash: string): Promise<void>;
  /**
   * Runs `fn` while holding a lock on the session, across processes when the store can (a token
   * refresh must happen once: a rotated refresh token used twice revokes the grant).
   */
  withLock?<T>(idHash: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Ends the sessions of a login at the provider: its issuer and `sid`, or (without `sid`) every
   * session of `sub` there. Needed for back-channel logout; returns how many ended.
   */
  destroyByLogin?(login: { iss: string; sub?: string; sid?: string }): Promise<number>;
}

interface PgResult {
  rows: any[];
  rowCount: number | null;
}

/** What the store needs of a `pg.Pool` (structural, so that `pg` stays optional). */
export interface PgPool {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<PgResult>; release(): void }>;
  on(event: 'error', listener: (e: Error) => void): unknown;
  end(): Promise<void>;
}

export interface PostgresSessionStoreOptions {
  /** A `pg.Pool` of your own, or a connection string (then the store makes a pool of 5). */
  pool?: PgPool;
  connectionString?: string;
  /** Table name (default `jwt_oidc_rp_sessions`). */
  table?: string;
  /** Create the table when missing (default true; jwt-oidc's client mode has it in its migrations). */
  createTable?: boolean;
}

export class PostgresSessionStore implements SessionStore {
  private readonly table: string;
  private pooled: Promise<PgPool> | undefined;
  private ready: Promise<void> | undefined;
  /** The connection of the lock this call runs under, if any: its reads and writes use it. */
  private readonly held = new AsyncLocalStorage<{ query: PgPool['query'] }>();

  constructor(private readonly options: PostgresSessionStoreOptions) {
    if (!options.pool && !options.connectionString) throw new TypeError('PostgresSessionStore needs a pool or a connectionString');
    this.table = options.table ?? 'jwt_oidc_rp_sessions';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.table)) throw new TypeError('table must be a plain lower-case SQL identifier');
  }

  /** The pool: the caller's, or one of our own, made on first use from `pg`. */
  private get pool(): Promise<PgPool> {
    this.pooled ??= this.options.pool ? Promise.resolve(this.options.pool) : ownPool(this.options.connectionString!);
    return this.pooled;
  }

  private init(): Promise<PgPool> {
    if (this.options.createTable === false) return this.pool;
    this.ready ??= this.pool
      .then((pool) => pool.query(
        `create table if not exists ${this.table} (id_hash varchar(64) primary key, data jsonb not null, expires_at timestamptz not null);
         create index if not exists ${this.table}_expires_at_index on ${this.table} (expires_at)`,
      ))
      .then(() => undefined, (e) => {
        this.ready = undefined; // tried again on the next call
        throw e;
      });
    return this.ready.then(() => this.pool);
  }

  /**
   * One statement: on the held connection inside `withLock` — a holder that took a second
   * connection from the pool could wait forever for it while the pool's connections all wait
   * for locks — and from the pool otherwise.
   */
  private async query(text: string, values?: unknown[]): Promise<PgResult> {
    const held = this.held.getStore();
    return held ? held.query(text, values) : (await this.init()).query(text, values);
  }

  async get(idHash: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.query(`select data from ${this.table} where id_hash = $1 and expires_at > now()`, [idHash]);
    return rows[0]?.data;
  }

  async set(idHash: string, data: Record<string, unknown>, expiresAt: number): Promise<void> {
    await this.query(
      `insert into ${this.table} (id_hash, data, expires_at) values ($1, $2, $3) on conflict (id_hash) do update set data = excluded.data, expires_at = excluded.expires_at`,
      [idHash, JSON.stringify(data), new Date(expiresAt)],
    );
  }

  async destroy(idHash: string): Promise<void> {
    await this.query(`delete from ${this.table} where id_hash = $1`, [idHash]);
  }

  async withLock<T>(idHash: string, fn: () => Promise<T>): Promise<T> {
    const lock = 'select pg_advisory_xact_lock(hashtextextended($1, 0))';
    const outer = this.held.getStore();
    if (outer) {
      // Nested: the same transaction takes this lock too, until it ends.
      await outer.query(lock, [idHash]);
      return fn();
    }
    const client = await (await this.init()).connect();
    try {
      await client.query('begin');
      await client.query(lock, [idHash]);
      const result = await this.held.run(client, fn);
      await client.query('commit');
      return result;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async destroyByLogin(login: { iss: string; sub?: string; sid?: string }): Promise<number> {
    // The session data of oidcClient: { login: { claims: { iss, sub, sid } } }.
    const { rowCount } = await this.query(
      `delete from ${this.table} where data->'login'->'claims'->>'iss' = $1
         and ($2::text is null or data->'login'->'claims'->>'sub' = $2)
         and ($3::text is null or data->'login'->'claims'->>'sid' = $3)`,
      [login.iss, login.sub ?? null, login.sid ?? null],
    );
    return rowCount ?? 0;
  }

  /** Deletes expired sessions; returns how many. */
  async prune(): Promise<number> {
    return (await this.query(`delete from ${this.table} where expires_at <= now()`)).rowCount ?? 0;
  }

  /** Ends the pool when the store made it. */
  async close(): Promise<void> {
    if (!this.options.pool && this.pooled) await (await this.pooled.catch(() => undefined))?.end();
  }
}

async function ownPool(connectionString: string): Promise<PgPool> {
  let pg: { default: { Pool: new (config: { connectionString: string; max: number }) => PgPool } };
  try {
    pg = (await import('pg')) as unknown as typeof pg;
  } catch (e) {
    throw new Error('PostgresSessionStore needs the "pg" package: npm install pg', { cause: e });
  }
  const pool = new pg.default.Pool({ connectionString, max: 5 });
  // An idle connection that the server drops (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', () => undefined);
  return pool;
}
