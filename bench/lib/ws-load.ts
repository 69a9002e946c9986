/**
 * WebSocket connections under load, in the load process: `connections` loops, each opening one
 * connection after the other (lib/ws.ts) until the time or the amount is up. autocannon speaks
 * HTTP only, and a connection's cost is the handshake, so each loop waits for its socket to close
 * before it opens the next.
 */
import type { HttpResult, WsJob } from './load-types.js';
import { cpuSnapshot } from './proc.js';
import { handshake } from './ws.js';

const POOL = /\{\{pool\}\}/g;

/** The `q` quantile of sorted values (nearest rank). */
const quantile = (sorted: Float64Array, q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);

export async function runWs(job: WsJob): Promise<HttpResult> {
  const pool = job.pool?.values ?? [];
  let cursor = 0;
  // One token: a fixed message, so the load process does no per-connection work the other side skips.
  const message = () => (pool.length ? job.message.replace(POOL, pool[cursor++ % pool.length]!) : job.message);
  const outcomes: Record<string, number> = {};
  const latencies: number[] = [];
  let opened = 0;

  const before = cpuSnapshot(job.pids);
  const started = process.hrtime.bigint();
  const end = Date.now() + (job.durationSec ?? 5) * 1000;
  const more = () => (job.amount ? opened < job.amount : Date.now() < end);
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (more()) {
        opened++;
        const h = await handshake(job.url, message());
        outcomes[h.outcome] = (outcomes[h.outcome] ?? 0) + 1;
        if (h.outcome === 'ack') latencies.push(h.ms);
      }
    }),
  );
  const durationSec = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpuSnapshot(job.pids);

  const sorted = Float64Array.from(latencies).sort();
  const errors = outcomes.error ?? 0;
  const timeouts = outcomes.timeout ?? 0;
  // Answers: acks and refusals (a close code, an unexpected message); errors and timeouts are none.
  const requests = opened - errors - timeouts;
  return {
    requests,
    durationSec,
    rps: requests / durationSec,
    latencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1), max: sorted.at(-1) ?? 0 },
    non2xx: requests - (outcomes.ack ?? 0),
    errors,
    timeouts,
    statusCodes: outcomes,
    cpuTicks: Object.fromEntries(job.pids.map((pid) => [pid, after[pid]! - before[pid]!])),
  };
}
