/** The real `jwt-oidc` command (`bin/jwt-oidc.js`, compiled by the global setup), as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * As installed (the bin's shebang, the Dockerfile's ENTRYPOINT): `node bin/jwt-oidc.js`, without
 * flags. `--enable-source-maps` would have stack traces in the output of a failing command name
 * src/ lines instead of dist/ ones, at the price of reading every module's source map at each
 * start: some 5 % of the CPU of a command the tests start over a hundred times.
 */
const ARGS = ['bin/jwt-oidc.js'];

/** A clean environment: nothing of the test runner's own settings leaks in. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<CliResult> {
  const child = spawnCli(args, options.env ?? {});
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  return finished(child);
}

export function spawnCli(args: string[], env: Record<string, string | undefined>, extra: { uid?: number; gid?: number } = {}): ChildProcess & { output: () => string } {
  const ids = extra.uid === undefined ? {} : { uid: extra.uid, gid: extra.gid };
  const child = spawn(process.execPath, [...ARGS, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'], ...ids });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolves when `url` answers 200, or rejects after `timeoutMs` (or when the process exits). */
export async function waitForHttp(url: string, child: ChildProcess & { output?: () => string }, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered:\n${child.output?.().slice(-3000) ?? ''}`);
    }
    try {
      const res = await fetch(url);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * The service started with `PORT=0`: the URL of its "jwt-oidc listening" log line, once `/readyz`
 * answers. A port picked by the test and handed over would stay free only by luck: the service
 * binds it seconds later, after starting its embedded PostgreSQL, while other suites bind ports.
 */
export async function servingUrl(child: ChildProcess & { output: () => string }, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = child.output().split('\n').find((l) => l.includes('"jwt-oidc listening"'));
    if (line) {
      const url = (JSON.parse(line) as { url: string }).url;
      await waitForHttp(`${url}/readyz`, child, Math.max(1_000, until - Date.now()));
      return url;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before listening:\n${child.output().slice(-3000)}`);
    }
    if (Date.now() > until) throw new Error(`not listening within ${timeoutMs} ms:\n${child.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Live postgres processes serving `clusterDir` (an embedded cluster), found through /proc. */
export function postgresPids(clusterDir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(clusterDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}
