/**
 * A failure throttle shared by every instance on the database (RFC 6819 §4.4.3.6, §5.1.4.2.3;
 * docs/SECURITY.md SE-04). An attempt is reserved before its credentials are checked — one row
 * per key, `pending` — in one transaction that holds a lock per key, so that a burst of
 * parallel attempts, on one instance or on many, sees every other reservation: at most `limit`
 * attempts per key and window are ever checked. A success refunds the reservation; a failure
 * keeps it as the failure. An `exclusive` key (an account) admits one attempt at a time, so a
 * burst checks at most one password per account while the others wait (HTTP 429, Retry-After 1).
 * Rows cost a write per attempt; they leave when they expire (housekeeping) or are refunded.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';

export interface ThrottleRule {
  /** What is counted: `account:<username>`, `address:<ip>`… (at most 255 characters). */
  key: string;
  /** Attempts that may fail within the window. */
  limit: number;
  /** One attempt at a time for this key. */
  exclusive?: boolean;
}

export type Reservation = { ok: true; ids: string[] } | { ok: false; retryAfter: number; busy?: boolean };

/** A pending attempt older than this is an instance that died mid-check: it counts, but no longer blocks. */
const PENDING_STALE_MS = 30_000;

export class SharedThrottle {
  constructor(
    private readonly orm: MikroORM,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Reserves one attempt under every rule, or says how many seconds to wait. (Lists travel as JSON: the driver would spread an array into a list of parameters.) */
  async reserve(rules: ThrottleRule[]): Promise<Reservation> {
    const keys = [...new Set(rules.map((r) => r.key.slice(0, 255)))].sort(); // one lock order: no deadlocks
    const now = this.clock.now();
    return this.orm.em.fork().transactional(async (em) => {
      for (const key of keys) await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 7))', [`throttle:${key}`]);
      const rows = await this.sql<{ key: string; created_at: Date; pending: boolean }>(
        em,
        'select key, created_at, pending from failure_events where key in (select jsonb_array_elements_text(?::jsonb)) and expires_at > ? order by created_at',
        [JSON.stringify(keys), new Date(now)],
      );
      let wait = 0;
      let busy = false;
      for (const rule of rules) {
        const events = rows.filter((r) => r.key === rule.key.slice(0, 255));
        if (rule.exclusive && events.some((e) => e.pending && now - +new Date(e.created_at) < PENDING_STALE_MS)) busy = true;
        if (events.length >= rule.limit) {
          // Until enough of the oldest have left the window for one more.
          const freeing = events[events.length - rule.limit]!;
          wait = Math.max(wait, Math.max(1, Math.ceil((+new Date(freeing.created_at) + this.windowMs - now) / 1000)));
        }
      }
      if (wait > 0 || busy) return { ok: false, retryAfter: Math.max(wait, 1), busy: wait === 0 } as const;
      const inserted = await this.sql<{ id: string }>(
        em,
        'insert into failure_events (key, created_at, expires_at, pending) select k, ?, ?, true from jsonb_array_elements_text(?::jsonb) as k returning id',
        [new Date(now), new Date(now + this.windowMs), JSON.stringify(keys)],
      );
      return { ok: true, ids: inserted.map((r) => String(r.id)) } as const;
    });
  }

  /**
   * `reserve`, waiting up to `patienceMs` while an exclusive key is busy (another attempt on the
   * same account being checked): two tabs that sign in together both get in, one after the other.
   */
  async reserveInTurn(rules: ThrottleRule[], patienceMs = 3000): Promise<Reservation> {
    const until = Date.now() + patienceMs;
    for (;;) {
      const r = await this.reserve(rules);
      if (r.ok || !r.busy || Date.now() >= until) return r;
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
    }
  }

  /** The checked attempt failed: its reservation stays, as the failure. */
  async failed(reservation: Reservation): Promise<void> {
    if (reservation.ok) await this.sql(this.orm.em.fork(), 'update failure_events set pending = false where id in (select jsonb_array_elements_text(?::jsonb)::bigint)', [JSON.stringify(reservation.ids)]);
  }

  /**
   * The checked attempt succeeded: its reservation is refunded. Earlier failures stay until they
   * leave the window — forgetting them would hand a burst queued behind the success a fresh
   * budget; the owner signs in from now on with its device cookie's own budget.
   */
  async succeeded(reservation: Reservation): Promise<void> {
    if (reservation.ok) await this.sql(this.orm.em.fork(), 'delete from failure_events where id in (select jsonb_array_elements_text(?::jsonb)::bigint)', [JSON.stringify(reservation.ids)]);
  }

  /**
   * Counts a failure that needed no reservation (checked before anything was spent, e.g. a
   * client secret compared in memory) and returns how many `key` has in the window, over every
   * instance.
   */
  async record(key: string): Promise<number> {
    const now = this.clock.now();
    const [row] = await this.sql<{ n: string }>(
      this.orm.em.fork(),
      `with added as (insert into failure_events (key, created_at, expires_at, pending) values (?, ?, ?, false) returning 1)
       select (select count(*) from failure_events where key = ? and expires_at > ?) + (select count(*) from added) as n`,
      [key.slice(0, 255), new Date(now), new Date(now + this.windowMs), key.slice(0, 255), new Date(now)],
    );
    return Number(row?.n ?? 1);
  }

  private sql<T>(em: EntityManager, query: string, params: unknown[]): Promise<T[]> {
    return em.getConnection().execute<T[]>(query, params, 'all', em.getTransactionContext());
  }
}
