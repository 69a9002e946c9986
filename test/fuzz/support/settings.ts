/**
 * Settings of every fuzz property: the seed, the number of runs, the timeouts that grow with
 * them, and the throttles taken out of the way.
 *
 * Runs are reproducible: the seed is fixed unless `FUZZ_SEED` is set, and `FUZZ_RUNS` sets the
 * number of runs of every property (the defaults keep all of test/fuzz near a minute on two
 * cores). A failure prints the seed and the counterexample path; replay it with
 * `FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/<file>`.
 *
 * The long local run, a few thousand cases per property and a new seed each time:
 *
 *   FUZZ_RUNS=5000 FUZZ_SEED=$RANDOM npx vitest run test/fuzz
 *
 * (about half an hour on two cores; the per-test timeout grows with FUZZ_RUNS). FUZZ_STATS=1
 * prints the statuses seen per endpoint: a check that cases get past the first validation.
 */
import type fc from 'fast-check';

export const FUZZ_SEED = envInt('FUZZ_SEED') ?? 20261128;
const FUZZ_RUNS = envInt('FUZZ_RUNS');
const FUZZ_PATH = process.env.FUZZ_PATH || undefined;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

/** Runs of a property: `FUZZ_RUNS`, or the property's default. */
export function runs(defaultRuns: number): number {
  return FUZZ_RUNS ?? defaultRuns;
}

/** fast-check parameters: the seed, the runs, a replay path when given. */
export function fuzzParams(defaultRuns: number): fc.Parameters<unknown> {
  // Shrinking stops in time to report (a server that stopped answering makes every run slow).
  return { seed: FUZZ_SEED, numRuns: runs(defaultRuns), path: FUZZ_PATH, interruptAfterTimeLimit: timeoutFor(defaultRuns) - 20_000, markInterruptAsFailure: true };
}

/** A test timeout that grows with the runs (a run takes a few milliseconds to a few hundred). */
export function timeoutFor(defaultRuns: number): number {
  return Math.max(120_000, runs(defaultRuns) * 1_500);
}

/** Throttles out of the way: fuzzing must reach the code, not only the 429s. */
export const NO_THROTTLE: Record<string, string> = {
  JWT_OIDC_TOKEN_RATE_LIMIT: '0',
  JWT_OIDC_GRAPHQL_RATE_LIMIT: '0',
  JWT_OIDC_LOGIN_FAILURE_LIMIT: '1000',
  JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '100000',
  JWT_OIDC_LOGIN_FAILURE_WINDOW: '10',
};
