/**
 * What the kernel says about a process: CPU time spent (utime + stime, in clock ticks) and peak
 * resident memory. The machine is shared and noisy, so throughput alone says little; CPU time
 * charged to the server process itself is the steadier measure of its cost per request.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/** The parent of `pid` (field 4 of proc(5) stat), or undefined when it cannot be read here. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * CPU ticks of a PostgreSQL server: the postmaster's own and those of the children it has reaped
 * (cutime + cstime: backends that ended, autovacuum workers), plus those of its live children
 * (the backends serving the provider). Differences of two readings are the server's CPU time in
 * between, whichever children came and went meanwhile.
 */
export function treeCpuTicks(rootPid: number): number {
  const fieldsOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const root = fieldsOf(rootPid);
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = fieldsOf(Number(name));
      if (Number(f[1]) === rootPid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile: its time is in the root's cutime now
    }
  }
  return ticks;
}
