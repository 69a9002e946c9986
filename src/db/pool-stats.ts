/**
 * The database pool's load, for the metrics: MikroORM's PostgreSQL driver pools through knex,
 * whose pool (tarn) counts the connections lent out and the acquisitions waiting.
 */
import type { MikroORM } from '@mikro-orm/postgresql';

interface TarnPool {
  numUsed(): number;
  numPendingAcquires(): number;
}

export function poolStats(orm: MikroORM): { used: number; pending: number } | undefined {
  const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
  if (!pool || typeof pool.numUsed !== 'function') return undefined;
  return { used: pool.numUsed(), pending: pool.numPendingAcquires() };
}
