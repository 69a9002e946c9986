/**
 * Server-side sessions of a relying party: the browser holds a 256-bit random id in an HttpOnly
 * cookie, the server keeps the data (tokens included) under its SHA-256. A store is three
 * operations; the default keeps sessions in PostgreSQL.
 */
import { sha256 } from '../util/digest.js';
import pg from 'pg';

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

export const sessionIdHash = sha256;

export interface PostgresSessionStoreOptions {
  /** A pool of your own, or a connection string. */
  pool?: pg.Pool;
  connectionString?: string;
  /** Table name (default `jwt_oidc_rp_sessions`). */
  table?: string;
  /** Create the table when missing (default true; jwt-oidc's client mode has it in its migrations). */
  createTable?: boolean;
}

export class PostgresSessionStore implements SessionStore {
  private readonly pool: pg.Pool;
  private readonly table: string;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: PostgresSessionStoreOptions) {
    if (!options.pool && !options.connectionString) throw new TypeError('PostgresSessionStore needs a pool or a connectionString');
    this.pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 5 });
    // An idle connection that the server drops (restart, failover) must not crash the process:
    // the pool discards it and the next query opens a new one.
    if (!options.pool) this.pool.on('error', () => undefined);
    this.table = options.table ?? 'jwt_oidc_rp_sessions';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.table)) throw new TypeError('table must be a plain lower-case SQL identifier');
  }

  private init(): Promise<void> {
    if (this.options.createTable === false) return Promise.resolve();
    this.ready ??= this.pool
      .query(
        `create table if not exists ${this.table} (id_hash varchar(64) primary key, data jsonb not null, expires_at timestamptz not null);
         create index if not exists ${this.table}_expires_at_index on ${this.table} (expires_at)`,
      )
      .then(() => undefined, (e) => {
        this.ready = undefined; // tried again on the next call
        throw e;
      });
    return this.ready;
  }

  async get(idHash: string): Promise<Record<string, unknown> | undefined> {
    await this.init();
    const { rows } = await this.pool.query(`select data from ${this.table} where id_hash = $1 and expires_at > now()`, [idHash]);
    return rows[0]?.data;
  }

  async set(idHash: string, data: Record<string, unknown>, expiresAt: number): Promise<void> {
    await this.init();
    await this.pool.query(
      `insert into ${this.table} (id_hash, data, expires_at) values ($1, $2, $3) on conflict (id_hash) do update set data = excluded.data, expires_at = excluded.expires_at`,
      [idHash, JSON.stringify(data), new Date(expiresAt)],
    );
  }

  async destroy(idHash: string): Promise<void> {
    await this.init();
    await this.pool.query(`delete from ${this.table} where id_hash = $1`, [idHash]);
  }

  async withLock<T>(idHash: string, fn: () => Promise<T>): Promise<T> {
    await this.init();
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [idHash]);
      const result = await fn();
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
    await this.init();
    // The session data of oidcClient: { login: { claims: { iss, sub, sid } } }.
    const { rowCount } = await this.pool.query(
      `delete from ${this.table} where data->'login'->'claims'->>'iss' = $1
         and ($2::text is null or data->'login'->'claims'->>'sub' = $2)
         and ($3::text is null or data->'login'->'claims'->>'sid' = $3)`,
      [login.iss, login.sub ?? null, login.sid ?? null],
    );
    return rowCount ?? 0;
  }

  /** Deletes expired sessions; returns how many. */
  async prune(): Promise<number> {
    await this.init();
    return (await this.pool.query(`delete from ${this.table} where expires_at <= now()`)).rowCount ?? 0;
  }

  /** Ends the pool when the store made it. */
  async close(): Promise<void> {
    if (!this.options.pool) await this.pool.end();
  }
}
