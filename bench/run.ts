/**
 * `npm run bench [-- --quick] [-- --only <id>[,<id>…]] [-- --cpu-prof]`
 *
 * Starts every server as its own process on loopback (our providers from dist/, oidc-provider 9,
 * bare Apollo, Apollo with @jwt-oidc/apollo, graphql-ws with and without withSubscriptionAuth),
 * drives them from a separate load process (bench/load.ts: autocannon, WebSocket connections),
 * and prints/writes the results (bench/results/). Targets are
 * reported as PASS/MISS, never asserted: the exit code is 1 only when a scenario FAILED (a wrong
 * answer, or a non-2xx during timing), or the harness itself broke.
 *
 * The scale-* scenarios (scenarios/scale.ts) seed their own database to 10 thousand and then
 * 1 million rows of each kind (quick: 2 and 20 thousand) and measure at both sizes.
 *
 * `--only` takes scenario ids (see the list printed by `--help`); `--cpu-prof` runs our
 * providers with `node --cpu-prof` and leaves the profiles in bench/results/profiles/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BenchEnv, type Config } from './lib/env.js';
import { Loader } from './lib/loader.js';
import type { RunSettings, ScenarioResult } from './lib/measure.js';
import { describeMachine, peakRssKb } from './lib/proc.js';
import { markdown, writeReport, type Report } from './lib/report.js';
import { ROOT, killAllChildren } from './lib/servers.js';
import { snapshotBuild } from './lib/snapshot.js';
import { code, refresh, userinfo } from './scenarios/grants.js';
import { meScenarios } from './scenarios/graphql.js';
import { ccEs256, ccEs512, discovery, jwks } from './scenarios/provider.js';
import { instances, rotation } from './scenarios/resilience.js';
import { scaleScenarios } from './scenarios/scale.js';
import { subscriptionScenarios } from './scenarios/subscriptions.js';
import type { Scenario } from './scenarios/types.js';

const SCENARIOS: Scenario[] = [discovery, jwks, ccEs256, ccEs512, refresh, code, userinfo, ...meScenarios, ...subscriptionScenarios, rotation, instances, ...scaleScenarios];

function parseArgs(argv: string[]): { quick: boolean; only?: Set<string>; cpuProf: boolean } {
  const out: { quick: boolean; only?: Set<string>; cpuProf: boolean } = { quick: false, cpuProf: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') out.quick = true;
    else if (a === '--cpu-prof') out.cpuProf = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      if (!v) throw new Error('--only needs scenario ids');
      out.only = new Set([...(out.only ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)]);
    } else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--only id,…] [--cpu-prof]\nscenarios: ${SCENARIOS.map((s) => s.id).join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const unknown = [...(out.only ?? [])].filter((id) => !SCENARIOS.some((s) => s.id === id || s.id.startsWith(`${id}-`)));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return out;
}

function configFor(quick: boolean, cpuProf: boolean, build: { cli: string; dir: string }): Config {
  const profileDir = join(ROOT, 'bench/results/profiles');
  if (cpuProf) mkdirSync(profileDir, { recursive: true });
  // Quick: the whole `npm run bench -- --quick` (build included) stays under two minutes.
  return {
    quick,
    connections: 10,
    warmupSec: quick ? 0.5 : 3,
    roundSec: quick ? 0.8 : 4,
    rounds: 3,
    rotationSec: quick ? 15 : 60,
    instancesSec: quick ? 3 : 15,
    // The LRU's size does not change the cost of a verification; a small one keeps the pool
    // (which an ES512 provider signs at a few hundred per second) quick to make.
    missCacheSize: quick ? 200 : 1000,
    missPoolSize: quick ? 250 : 1250,
    providerNodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    cli: build.cli,
    peersDir: join(build.dir, 'bench/peers'),
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const build = await snapshotBuild();
  const config = configFor(args.quick, args.cpuProf, build);
  // `--only me` selects every me-… scenario, `--only cc` both algorithms, `--only subscription`
  // (or subscription-connect) the hit and miss variants.
  const selected = SCENARIOS.filter((s) => !args.only || args.only.has(s.id) || [...args.only].some((id) => s.id.startsWith(`${id}-`)));
  const started = new Date();
  const loader = new Loader();
  const env = new BenchEnv(config, loader);
  const settings: RunSettings = { connections: config.connections, warmupSec: config.warmupSec, roundSec: config.roundSec, rounds: config.rounds, run: (job) => loader.run(job) };
  const interrupted = () => {
    killAllChildren();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const results: ScenarioResult[] = [];
  try {
    log(`starting servers for ${selected.length} scenario(s)…`);
    // Everything the selection needs starts at once, in parallel. (The rotating provider too:
    // its keys rotate every 10 s from its start, whenever the scenario runs.)
    await Promise.all(selected.flatMap((s) => s.prepare(env)));
    log(`servers ready after ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`);
    for (const scenario of selected) {
      const t0 = Date.now();
      let result: ScenarioResult;
      try {
        await Promise.all(scenario.prepare(env));
        result = await scenario.run(env, settings);
      } catch (e) {
        result = { id: scenario.id, title: scenario.title, status: 'FAILED', notes: [`harness error: ${(e as Error).stack ?? String(e)}`] };
      }
      results.push(result);
      log(`${scenario.id}: ${result.status}${result.target ? ` (target ${result.target.pass ? 'PASS' : 'MISS'})` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    results.push(servicePeakRss(env));
  } finally {
    loader.close();
    await env.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    build.remove();
  }

  const finished = new Date();
  const report: Report = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: (finished.getTime() - started.getTime()) / 1000,
    mode: args.quick ? 'quick' : 'full',
    machine: describeMachine(),
    settings: { ...config, only: args.only ? [...args.only] : undefined },
    scenarios: results,
  };
  const md = markdown(report);
  console.log(`\n${md}`);
  log(`written ${writeReport(report, md)}, latest.json and latest.md`);
  return results.some((r) => r.status === 'FAILED') ? 1 : 0;
}

/** The most any of our provider processes held resident (VmHWM) over the whole run. */
const SERVICE_RSS_MB = 300;
function servicePeakRss(env: BenchEnv): ScenarioResult {
  const peaks = env.providers().map((p) => ({ name: p.name, mb: peakRssKb(p.pid) / 1024 }));
  const top = peaks.reduce((a, b) => (b.mb > a.mb ? b : a), { name: 'none', mb: 0 });
  return {
    id: 'service-rss',
    title: 'the peak RSS of each of our provider processes over the whole run (the largest)',
    status: 'ok',
    target: { text: `≤ ${SERVICE_RSS_MB} MB`, value: top.mb, pass: top.mb <= SERVICE_RSS_MB, unit: 'MB' },
    notes: peaks.map((p) => `${p.name}: ${p.mb.toFixed(0)} MB`),
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    killAllChildren();
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
