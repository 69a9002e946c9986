import type { BenchEnv } from '../lib/env.js';
import type { RunSettings, ScenarioResult } from '../lib/measure.js';

export interface Scenario {
  id: string;
  title: string;
  /** Starts what the scenario needs, so that everything selected starts in parallel up front. */
  prepare(env: BenchEnv): Promise<unknown>[];
  run(env: BenchEnv, settings: RunSettings): Promise<ScenarioResult>;
}
