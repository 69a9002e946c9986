/**
 * Housekeeping: rows past their life are deleted in bounded batches on a timer, so tables stay
 * bounded under load; each batch is its own short statement (no long locks), and instances
 * running it at the same time only skip each other's rows. A pass goes on until every table is
 * clean — a backlog of a million rows included — but pauses after each batch for as long as the
 * batch took, so the sweep holds at most about half of one connection and the requests served
 * meanwhile keep their latency (bench scenario scale-sweep measures it). The modes name their
 * tables (provider: src/provider/stores/expiring-tables.ts; client: src/client/mode.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/** Rows per statement: large enough that a backlog goes quickly, small enough to be a short statement. */
const BATCH = 5000;
/** The least pause between two batches, even when one was quick. */
const MIN_PAUSE_MS = 5;

export interface HousekeepingOptions {
  orm: MikroORM;
  clock: Clock;
  logger: Logger;
  /** Between runs (default 60 s; 0: no timer, call `run()` yourself). */
  intervalMs?: number;
  /** Tables to clean, in this order, each with an `expires_at` column (each mode names its own). */
  tables: readonly string[];
  /** Other rows past their use, each sweep deleting a batch of them by its own rule (after the tables); returns how many went. */
  sweeps?: readonly { name: string; run(now: Date): Promise<number> }[];
  /** After each pass that deleted something: how many rows each table or sweep lost (the metrics). */
  onDeleted?: (deleted: Record<string, number>) => void;
  /** Rows per batch (default 5000). */
  batchSize?: number;
}

export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Record<string, number>> | undefined;
  private stopping = false;

  constructor(private readonly options: HousekeepingOptions) {}

  start(): void {
    const interval = this.options.intervalMs ?? 60_000;
    if (interval <= 0) return;
    this.stopping = false;
    this.timer = setInterval(() => void this.run().catch((e) => this.options.logger.warn({ err: e }, 'housekeeping failed')), interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // A pass through a backlog may be long: it ends after its current batch.
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many rows each table lost. */
  run(): Promise<Record<string, number>> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<Record<string, number>> {
    const conn = this.options.orm.em.fork().getConnection();
    const now = new Date(this.options.clock.now());
    const deleted: Record<string, number> = {};
    const batch = this.options.batchSize ?? BATCH;
    for (const table of this.options.tables) {
      let total = 0;
      while (!this.stopping) {
        const started = performance.now();
        const rows = await conn.execute<{ n: number }[]>(
          `with gone as (delete from ${table} where ctid in (select ctid from ${table} where expires_at < ? limit ${batch}) returning 1) select count(*)::int as n from gone`,
          [now],
        );
        const n = rows[0]?.n ?? 0;
        total += n;
        if (n < batch) break;
        // Yield as long as the batch took: PostgreSQL and this process serve requests meanwhile.
        await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_PAUSE_MS, performance.now() - started)));
      }
      if (total > 0) deleted[table] = total;
    }
    for (const sweep of this.options.sweeps ?? []) {
      const n = await sweep.run(now);
      if (n > 0) deleted[sweep.name] = n;
    }
    if (Object.keys(deleted).length > 0) {
      this.options.logger.info({ event: 'housekeeping', deleted }, 'expired rows deleted');
      this.options.onDeleted?.(deleted);
    }
    return deleted;
  }
}
