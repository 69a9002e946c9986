/** The results as a markdown table (printed and written to latest.md) and as JSON. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measured, ScenarioResult } from './measure.js';
import type { Machine } from './proc.js';
import { ROOT } from './servers.js';

export interface Report {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  mode: 'quick' | 'full';
  machine: Machine;
  settings: Record<string, unknown>;
  scenarios: ScenarioResult[];
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => x.toFixed(1);
const n2 = (x: number) => x.toFixed(2);
const n3 = (x: number) => x.toFixed(3);

function targetCell(r: ScenarioResult): string {
  if (!r.target) return '';
  const value = r.target.unit ? `${r.target.value >= 10 ? n0(r.target.value) : n2(r.target.value)}${r.target.unit === '×' ? '×' : ` ${r.target.unit}`}` : r.flow ? String(r.target.value) : r.target.value >= 10 ? n0(r.target.value) : `${n2(r.target.value)}×`;
  return `${r.target.pass ? '**PASS**' : '**MISS**'} ${value} (${r.target.text})`;
}

function sideRow(r: ScenarioResult, m: Measured, first: boolean): string {
  const cells = [
    first ? `${r.id}` : '',
    m.label,
    m.checkError ? 'check failed' : n0(m.rps),
    n1(m.p50),
    n1(m.p99),
    n3(m.cpuMsPerRequest),
    n0(m.perCpuSec),
    n0(m.peakRssMb),
    `${m.non2xx}/${m.errors}`,
    first && r.ratio ? n2(r.ratio.rps) : '',
    first && r.ratio ? n2(r.ratio.perCpu) : '',
    first ? targetCell(r) : '',
    first ? (r.status === 'ok' ? 'ok' : '**FAILED**') : '',
  ];
  return `| ${cells.join(' | ')} |`;
}

export function markdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `# jwt-oidc benchmark (${report.mode})`,
    '',
    `${report.startedAt} · ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB · Node ${m.node} · Linux ${m.kernel} · ${report.wallSeconds.toFixed(0)} s wall`,
    '',
    `Each pair: a checked sample request per side, a warm-up each, then ${String(report.settings.rounds)} interleaved rounds (A, B, …) of ${String(report.settings.roundSec)} s with ${String(report.settings.connections)} connections; load from a separate process. req/s, p50 and p99 are medians over the rounds; CPU is the server process's utime+stime over all rounds. Ratios are ours ÷ peer; targets are judged per server CPU-second (the machine is shared, so throughput is noisy).`,
    '',
    '| scenario | side | req/s | p50 ms | p99 ms | CPU ms/req | req/CPU-s | peak RSS MB | non-2xx/err | ratio req/s | ratio /CPU-s | target | status |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ];
  for (const r of report.scenarios.filter((s) => !s.flow)) {
    if (r.ours) lines.push(sideRow(r, r.ours, true));
    if (r.peer) lines.push(sideRow(r, r.peer, false));
    // A row with a target only (a peak over the run): no measured side of its own.
    if (!r.ours) lines.push(`| ${r.id} | | | | | | | | | | | ${targetCell(r)} | ${r.status === 'ok' ? 'ok' : '**FAILED**'} |`);
  }
  const flows = report.scenarios.filter((s) => s.flow);
  if (flows.length) {
    lines.push('', '| scenario | flows | requests | seconds | errors | failed validations | target | status |', '|---|--:|--:|--:|--:|--:|---|---|');
    for (const r of flows) {
      const f = r.flow!;
      lines.push(`| ${r.id} | ${f.flows} | ${f.requests} | ${n1(f.durationSec)} | ${f.errors} | ${f.failedValidations} | ${targetCell(r)} | ${r.status === 'ok' ? 'ok' : '**FAILED**'} |`);
    }
  }
  const notes = report.scenarios.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`));
  if (notes.length) lines.push('', 'Notes:', '', ...notes);
  const titles = report.scenarios.map((r) => `- ${r.id}: ${r.title}`);
  lines.push('', 'Scenarios:', '', ...titles, '');
  return lines.join('\n');
}

/** Writes `<timestamp>.json`, `latest.json` and `latest.md` under bench/results (atomically). */
export function writeReport(report: Report, md: string): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const write = (name: string, data: string) => {
    // Another run may be reading these: write aside, then rename (*.tmp is git-ignored).
    const tmp = join(dir, `${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, name));
  };
  write(`${stamp}.json`, json);
  write('latest.json', json);
  write('latest.md', md);
  return join(dir, `${stamp}.json`);
}
