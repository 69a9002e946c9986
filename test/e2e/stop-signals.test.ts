/**
 * However the service is stopped, the last process to leave stops the embedded PostgreSQL:
 * Ctrl-C in a real terminal (which signals npm and node together, and npm forwards its copy),
 * a double Ctrl-C, and two instances on one data directory stopped at the same moment.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finished, postgresPids, servingUrl, spawnCli, waitForHttp, type CliResult } from '../support/cli.js';
import { hasPty, inTerminal, type Terminal } from '../support/terminal.js';

const dirs: string[] = [];
const sessions: number[] = [];
afterAll(() => {
  // A failed run must not leave servers behind: the terminal sessions, then their clusters.
  for (const pid of sessions) signalGroup(pid, 'SIGKILL');
  for (const dir of dirs) {
    for (const pid of postgresPids(join(dir, 'postgres'))) signalProcess(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-signals-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}


/** Waits until no postgres process serves `clusterDir`; returns those still there at the deadline. */
async function postgresGone(clusterDir: string, timeoutMs = 15_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pids = postgresPids(clusterDir);
    if (pids.length === 0 || Date.now() > until) return pids;
    await sleep(100);
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const signalGroup = (pid: number, signal: NodeJS.Signals) => signalProcess(-pid, signal);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm start` in a terminal; its session is killed after the tests whatever happens. */
function npmStartInTerminal(env: Record<string, string>): Terminal {
  const run = inTerminal(['npm', 'start'], env);
  void run.session.then((pid) => sessions.push(pid));
  return run;
}

/** The URL of the "listening" log line: JSON, or pretty-printed since stdout is a terminal. */
async function listeningUrl(run: Terminal, timeoutMs: number): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && run.child.exitCode === null) {
    const plain = run.output().replace(/\x1b\[[0-9;]*m/g, '');
    const url = /listening[\s\S]*?(http:\/\/127\.0\.0\.1:\d+)/.exec(plain)?.[1];
    if (url) return url;
    await sleep(100);
  }
  return undefined;
}

/** `npm start` in a terminal, once it serves. */
async function servingInTerminal(): Promise<{ run: Terminal; dir: string }> {
  const dir = dataDir();
  const run = npmStartInTerminal({ JWT_OIDC_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const url = await listeningUrl(run, 30_000);
  expect(url, run.output()).toBeDefined();
  await waitForHttp(`${url}/readyz`, run.child, 10_000);
  expect(postgresPids(join(dir, 'postgres')).length).toBeGreaterThan(0);
  return { run, dir };
}

async function ctrlC(presses: number): Promise<{ result: CliResult; output: string; leftover: number[] }> {
  const { run, dir } = await servingInTerminal();
  for (let i = 0; i < presses; i++) {
    if (i > 0) await sleep(150); // a quick second press, as a person does
    run.type('\x03');
  }
  const result = await Promise.race([run.exit, sleep(20_000).then(() => undefined)]);
  expect(result, `npm start did not exit after Ctrl-C:\n${run.output()}`).toBeDefined();
  return { result: result!, output: run.output(), leftover: await postgresGone(join(dir, 'postgres')) };
}

describe.runIf(hasPty)('Ctrl-C on `npm start` in a terminal', () => {
  it('RC-11 once: the service exits and stops its embedded PostgreSQL', async () => {
    const { result, output, leftover } = await ctrlC(1);
    expect(leftover, output).toEqual([]);
    expect(result.code, output).toBe(0);
    expect(output).toContain('embedded PostgreSQL stopped');
  });

  it('RC-11 twice, quickly: the shutdown may be hurried, but the embedded PostgreSQL is still stopped', async () => {
    const { output, leftover } = await ctrlC(2);
    expect(leftover, output).toEqual([]);
    expect(output).toContain('embedded PostgreSQL stopped');
  });

  it('closing the terminal (a hangup) stops the embedded PostgreSQL too', async () => {
    const { run, dir } = await servingInTerminal();
    const session = await run.session;
    run.child.kill('SIGKILL'); // the terminal's master side closes: SIGHUP for the session
    expect(await postgresGone(join(dir, 'postgres')), run.output()).toEqual([]);
    expect(await groupGone(session, 15_000)).toBe(true);
  });
});

/** Waits until no process is left in the process group `pgid`. */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
    await sleep(100);
  }
  return false;
}

async function serve(dir: string) {
  const child = spawnCli(['serve'], { JWT_OIDC_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const exit = finished(child);
  await servingUrl(child, 60_000);
  return { child, exit };
}

describe('two instances on one data directory', () => {
  it('RC-11 stopped at the same moment: both exit 0 and the cluster is stopped (several rounds)', async () => {
    const dir = dataDir();
    for (let round = 1; round <= 3; round++) {
      const [a, b] = await Promise.all([serve(dir), serve(dir)]);
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      const [ra, rb] = await Promise.all([a.exit, b.exit]);
      const output = `round ${round}:\n${a.child.output()}\n---\n${b.child.output()}`;
      expect([ra.code, rb.code], output).toEqual([0, 0]);
      expect(await postgresGone(join(dir, 'postgres'), 5_000), output).toEqual([]);
    }
  });

  it('one of them interrupted twice, the other once, at the same moment: the cluster is stopped', async () => {
    const dir = dataDir();
    const [a, b] = await Promise.all([serve(dir), serve(dir)]);
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    a.child.kill('SIGINT');
    const [ra, rb] = await Promise.all([a.exit, b.exit]);
    const output = `${a.child.output()}\n---\n${b.child.output()}`;
    expect(ra.signal, output).toBeNull();
    expect(rb.code, output).toBe(0);
    expect(await postgresGone(join(dir, 'postgres'), 5_000), output).toEqual([]);
  });
});

describe('a CLI command', () => {
  it('RC-11 interrupted twice while it starts the embedded PostgreSQL: it stops it again before exiting', async () => {
    const dir = dataDir();
    const child = spawnCli(['users', 'list'], { JWT_OIDC_DATA_DIR: dir, LOG_LEVEL: 'info' });
    child.stdin!.end();
    const exit = finished(child);
    while (!child.output().includes('embedded PostgreSQL started') && child.exitCode === null) await sleep(20);
    child.kill('SIGINT');
    child.kill('SIGINT');
    const result = await exit;
    expect(result.signal, child.output()).toBeNull();
    expect(await postgresGone(join(dir, 'postgres'), 5_000), child.output()).toEqual([]);
  });
});
