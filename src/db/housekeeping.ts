/**
 * Housekeeping: rows past their life are deleted in small batches on a timer, so tables stay
 * bounded under load; each batch is its own short statement (no long locks), and instances
 * running it at the same time only skip each other's rows. The modes name their tables
 * (provider: src/provider/stores/expiring-tables.ts; client: src/client/mode.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

const BATCH = 1000;
/** At most this many batches per table and run: the next run continues. */
const MAX_BATCHES = 20;

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
}

export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Record<string, number>> | undefined;

  constructor(private readonly options: HousekeepingOptions) {}

  start(): void {
    const interval = this.options.intervalMs ?? 60_000;
    if (interval <= 0) return;
    this.timer = setInterval(() => void this.run().catch((e) => this.options.logger.warn({ err: e }, 'housekeeping failed')), interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
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
    for (const table of this.options.tables) {
      let total = 0;
      for (let i = 0; i < MAX_BATCHES; i++) {
        const rows = await conn.execute<{ n: number }[]>(
          `with gone as (delete from ${table} where ctid in (select ctid from ${table} where expires_at < ? limit ${BATCH}) returning 1) select count(*)::int as n from gone`,
          [now],
        );
        const n = rows[0]?.n ?? 0;
        total += n;
        if (n < BATCH) break;
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
