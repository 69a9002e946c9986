/**
 * What the kernel says about a process: CPU time spent (utime + stime, in clock ticks) and peak
 * resident memory. The machine is shared and noisy, so throughput alone says little; CPU time
 * charged to the server process itself is the steadier measure of its cost per request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

/** Clock ticks per second of the `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 almost everywhere). */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid` in clock ticks (threads included: libuv's pool signs and hashes too). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) are utime and stime; after "pid (comm) " field 3 is index 0.
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks of several processes at once, keyed by pid. */
export function cpuSnapshot(pids: number[]): Record<number, number> {
  return Object.fromEntries(pids.map((pid) => [pid, cpuTicks(pid)]));
}

/** Peak resident set size (VmHWM) of `pid` in kB; 0 when the process is gone. */
export function peakRssKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  kernel: string;
  clockTicks: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    clockTicks: CLK_TCK,
  };
}
