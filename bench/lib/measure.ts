/**
 * One scenario, measured the same way for both sides: a checked sample request each, a warm-up
 * each, then rounds interleaved A, B, A, B, A, B — so that a noisy neighbour on this shared
 * machine hurts both sides alike instead of whichever happened to run during the noise.
 */
import type { HttpJob, HttpResult, WsJob } from './load-types.js';
import { CLK_TCK, peakRssKb } from './proc.js';
import type { ServerProcess } from './servers.js';

/** What the runner decides for every run of a pair, alike for both sides. */
type Decided = 'kind' | 'connections' | 'durationSec' | 'amount' | 'pids';

/**
 * The request of a side, minus what the runner decides (connections, duration, pids): an HTTP
 * request, or with `kind: 'ws'` a WebSocket connection (its handshake counts as the request).
 */
export type RequestSpec = Omit<HttpJob, Decided> | (Omit<WsJob, Decided> & { kind: 'ws' });

export type Phase = 'warmup' | number;

export interface Side {
  label: string;
  server: ServerProcess;
  /** Validates one real request (status, body shape, token signature); throws with the reason. */
  check(): Promise<void>;
  /**
   * The request of a run. Single-use pools (codes) prepare their values here, per run and
   * outside the timed window; they may also fix `amount` instead of a duration.
   */
  request(phase: Phase): Promise<RequestSpec & { amount?: number }>;
  /** Sees each result (a self-feeding pool takes back its leftover values). */
  after?(result: HttpResult): void;
}

export interface Measured {
  label: string;
  server: string;
  rounds: HttpResult[];
  warmup?: HttpResult;
  /** Medians over the rounds. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  cpuSec: number;
  /** Requests per second of server CPU, over all rounds. */
  perCpuSec: number;
  /** Server CPU milliseconds per request. */
  cpuMsPerRequest: number;
  peakRssMb: number;
  non2xx: number;
  errors: number;
  checkError?: string;
}

export interface Target {
  text: string;
  /** The measured value the target is about, and whether it is met. */
  value: number;
  pass: boolean;
  /** How the value reads (e.g. `ms`, `MB`, `×`); without it, a count or a ratio by its size. */
  unit?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: 'ok' | 'FAILED';
  ours?: Measured;
  peer?: Measured;
  /** ours / peer. */
  ratio?: { rps: number; perCpu: number };
  target?: Target;
  /** Flow scenarios (rotation, two instances): counts instead of a pair. */
  flow?: { flows: number; requests: number; durationSec: number; errors: number; failedValidations: number; samples: string[]; kids?: string[] };
  notes: string[];
}

export interface RunSettings {
  connections: number;
  warmupSec: number;
  roundSec: number;
  rounds: number;
  run(job: HttpJob | WsJob): Promise<HttpResult>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function runOnce(side: Side, phase: Phase, s: RunSettings): Promise<HttpResult> {
  const spec = await side.request(phase);
  const result = await s.run({
    kind: 'http',
    ...spec,
    connections: s.connections,
    ...(spec.amount ? { amount: spec.amount } : { durationSec: phase === 'warmup' ? s.warmupSec : s.roundSec }),
    pids: [side.server.pid],
  });
  side.after?.(result);
  return result;
}

function summarise(side: Side, rounds: HttpResult[], warmup: HttpResult | undefined, checkError?: string): Measured {
  const requests = rounds.reduce((a, r) => a + r.requests, 0);
  const ticks = rounds.reduce((a, r) => a + (r.cpuTicks[side.server.pid] ?? 0), 0);
  const cpuSec = ticks / CLK_TCK;
  return {
    label: side.label,
    server: side.server.name,
    rounds,
    warmup,
    rps: rounds.length ? median(rounds.map((r) => r.rps)) : 0,
    p50: rounds.length ? median(rounds.map((r) => r.latencyMs.p50)) : 0,
    p99: rounds.length ? median(rounds.map((r) => r.latencyMs.p99)) : 0,
    requests,
    cpuSec,
    perCpuSec: cpuSec > 0 ? requests / cpuSec : 0,
    cpuMsPerRequest: requests > 0 ? (cpuSec * 1000) / requests : 0,
    peakRssMb: peakRssKb(side.server.pid) / 1024,
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors + r.timeouts, 0),
    checkError,
  };
}

/**
 * Runs `ours` (and `peer`, interleaved) and judges the result: FAILED when a sample check
 * failed or any timed request was not 2xx.
 */
export async function measurePair(id: string, title: string, ours: Side, peer: Side | undefined, s: RunSettings, target?: (r: ScenarioResult) => Target | undefined): Promise<ScenarioResult> {
  const sides = peer ? [ours, peer] : [ours];
  const checks = await Promise.all(sides.map((side) => side.check().then(() => undefined, (e: Error) => e.message)));
  const notes: string[] = [];
  if (checks.some((c) => c !== undefined)) {
    // Timing answers that are wrong would measure the wrong thing: stop here.
    const [a, b] = sides.map((side, i) => summarise(side, [], undefined, checks[i]));
    return { id, title, status: 'FAILED', ours: a, peer: b, notes: checks.filter(Boolean).map((c, i) => `check failed (${sides[i]!.label}): ${c}`) };
  }
  const warm = new Map<Side, HttpResult>();
  for (const side of sides) warm.set(side, await runOnce(side, 'warmup', s));
  const rounds = new Map<Side, HttpResult[]>(sides.map((side) => [side, []]));
  for (let round = 0; round < s.rounds; round++) {
    for (const side of sides) rounds.get(side)!.push(await runOnce(side, round, s));
  }
  const [a, b] = sides.map((side) => summarise(side, rounds.get(side)!, warm.get(side)));
  for (const m of [a, b]) {
    if (m && (m.non2xx || m.errors)) {
      const codes = m.rounds.map((r) => JSON.stringify(r.statusCodes)).join(' ');
      notes.push(`${m.label}: ${m.non2xx} non-2xx, ${m.errors} errors during timing (status codes per round: ${codes})`);
    }
  }
  const result: ScenarioResult = {
    id,
    title,
    status: a!.non2xx || a!.errors || (b && (b.non2xx || b.errors)) ? 'FAILED' : 'ok',
    ours: a,
    peer: b,
    ratio: b ? { rps: a!.rps / b.rps, perCpu: a!.perCpuSec / b.perCpuSec } : undefined,
    notes,
  };
  result.target = target?.(result);
  return result;
}
