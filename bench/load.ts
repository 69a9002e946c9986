/**
 * The load generator, in a process of its own so that its CPU time is never charged to a server
 * (and, on two cores, so that it runs in parallel with the server it loads): autocannon for HTTP,
 * lib/ws-load.ts for WebSocket connections, lib/flows.ts for multi-step flows.
 *
 * Two ways to run it:
 *   - forked by bench/run.ts with an IPC channel: it answers each `LoadJob` message with a
 *     `LoadResult` message, and stays up between jobs (no process start per round);
 *   - by hand: `node --import @swc-node/register/esm-register bench/load.ts '<job JSON>'`
 *     prints the result as JSON on stdout.
 *
 * CPU time of the loaded servers is read here, right before and right after the run, so the
 * window is the timed one and nothing else.
 */
import { createRequire } from 'node:module';
import { runFlow } from './lib/flows.js';
import type { HttpJob, HttpResult, LoadJob, LoadResult } from './lib/load-types.js';
import { cpuSnapshot } from './lib/proc.js';
import { runWs } from './lib/ws-load.js';

interface Histogram {
  p50: number;
  p99: number;
  average: number;
  max: number;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: object) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: object, headers: Record<string, string | string[]>) => void;
}
interface AutocannonResult {
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

// autocannon is CommonJS without type declarations: required, and typed by what is used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const POOL = /\{\{pool\}\}/g;

export async function runHttp(job: HttpJob): Promise<HttpResult> {
  const pool = job.pool ? [...job.pool.values] : [];
  let cursor = 0;
  const collected: string[] = [];
  const take = (): string => {
    if (!job.pool) return '';
    if (job.pool.mode === 'cycle') return pool[cursor++ % pool.length]!;
    // A dry pool sends an empty value: the server refuses it and the run shows non-2xx answers,
    // rather than a silently reused single-use value.
    return pool.shift() ?? '';
  };
  const fill = (s: string | undefined, v: string) => s?.replace(POOL, v);
  const dynamic = job.pool !== undefined;
  const request: AutocannonRequest = {
    method: job.method ?? 'GET',
    path: job.path,
    headers: job.headers,
    body: job.body,
  };
  if (dynamic) {
    request.setupRequest = (req) => {
      const v = take();
      const headers = Object.fromEntries(Object.entries(job.headers ?? {}).map(([k, h]) => [k, fill(h, v)!]));
      return { ...req, path: fill(job.path, v), headers: { ...req.headers, ...headers }, body: fill(job.body, v) };
    };
  }
  if (job.collect || job.pool?.mode === 'feedback') {
    request.onResponse = (status, body, _ctx, headers) => {
      if (job.pool?.mode === 'feedback' && status === 200) {
        const next = (JSON.parse(body) as Record<string, unknown>)[job.pool.feedback ?? ''];
        if (typeof next === 'string') pool.push(next);
      }
      if (job.collect?.json && status === 200) {
        const v = (JSON.parse(body) as Record<string, unknown>)[job.collect.json];
        if (typeof v === 'string') collected.push(v);
      }
      if (job.collect?.locationParam) {
        const location = headers.location ?? headers.Location;
        const v = typeof location === 'string' ? new URL(location, job.url).searchParams.get(job.collect.locationParam) : null;
        if (v) collected.push(v);
      }
    };
  }

  const before = cpuSnapshot(job.pids);
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    ...(job.amount ? { amount: job.amount } : { duration: job.durationSec ?? 5 }),
    requests: [request],
    timeout: 30,
    // autocannon ends a run at its next sample tick (1 s by default): short rounds and runs of a
    // fixed amount would idle up to a second, which the req/s would count.
    sampleInt: 50,
  });
  const durationSec = Number(process.hrtime.bigint() - started) / 1e9;
  const after = cpuSnapshot(job.pids);

  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    requests,
    durationSec,
    rps: requests / durationSec,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpuTicks: Object.fromEntries(job.pids.map((pid) => [pid, after[pid]! - before[pid]!])),
    ...(job.collect ? { collected } : {}),
    ...(job.pool?.mode === 'feedback' ? { leftover: pool } : {}),
  };
}

export function runJob(job: LoadJob): Promise<LoadResult> {
  if (job.kind === 'http') return runHttp(job);
  if (job.kind === 'ws') return runWs(job);
  return runFlow(job);
}

if (process.send) {
  // Forked by the orchestrator: one job at a time, answered in order.
  process.on('message', (msg: { id: number; job: LoadJob }) => {
    runJob(msg.job).then(
      (result) => process.send!({ id: msg.id, result }),
      (e: unknown) => process.send!({ id: msg.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[2]) {
  const result = await runJob(JSON.parse(process.argv[2]) as LoadJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
