/**
 * Every server of the benchmark is its own process on loopback, so that its CPU time and memory
 * can be read from /proc apart from the load generator's and from its peer's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** How TypeScript entry points (the peers, the load generator) are run: swc keeps decorator metadata. */
export const TS_NODE_ARGS = ['--import', '@swc-node/register/esm-register'];

export interface ServerProcess {
  name: string;
  /** Origin, without a trailing slash. */
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last output of the process (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

import { freePort } from '../../src/util/free-port.js';
export { freePort };

interface SpawnOptions {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** The origin when known beforehand; otherwise read from a `{"url": …}` line on stdout. */
  url?: string;
  /** A path that answers 200 once the server is ready (default: wait for the stdout line only). */
  readyPath?: string;
  timeoutMs?: number;
}

const children = new Set<ChildProcess>();

/** Starts a server process and resolves once it answers. */
export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  // A clean environment: nothing of the caller's JWT_OIDC_* settings leaks into a server.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env } as NodeJS.ProcessEnv;
  const child = spawn(process.execPath, o.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));

  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  const fail = (why: string) => {
    child.kill('SIGKILL');
    return new Error(`${o.name}: ${why}\n${out.slice(-3000)}`);
  };
  let url = o.url;
  while (url === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) throw fail('exited before it was ready');
    if (Date.now() > deadline) throw fail('did not print its URL in time');
    const line = out.split('\n').find((l) => l.startsWith('{"url"'));
    if (line) url = (JSON.parse(line) as { url: string }).url.replace(/\/$/, '');
    else await sleep(50);
  }
  if (o.readyPath) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw fail('exited before it was ready');
      if (Date.now() > deadline) throw fail(`${o.readyPath} did not answer 200 in time`);
      const ok = await fetch(url + o.readyPath).then((r) => r.status === 200, () => false);
      if (ok) break;
      await sleep(100);
    }
  }
  return {
    name: o.name,
    url,
    pid: child.pid!,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Last resort on an abnormal exit of the orchestrator: no server outlives the run. */
export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type SignatureAlg = 'ES256' | 'ES512';

/** Settings shared by every jwt-oidc provider of the run: quiet, unthrottled, long-lived tokens. */
export function providerEnv(o: { port: number; issuer: string; databaseUrl: string; alg: SignatureAlg; extra?: Record<string, string> }): Record<string, string> {
  return {
    PORT: String(o.port),
    HOST: '127.0.0.1',
    DATABASE_URL: o.databaseUrl,
    LOG_LEVEL: 'warn',
    JWT_OIDC_KEY_ENCRYPTION_SECRET: 'bench-key-encryption-secret-0123456789ab',
    JWT_OIDC_SIGNATURE_ALG: o.alg,
    JWT_OIDC_ISSUER: o.issuer,
    JWT_OIDC_API_SCOPES: 'api',
    // Every request of the benchmark comes from 127.0.0.1: throttles sized for people would
    // turn a load test into 429s.
    JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '100000',
    JWT_OIDC_GRAPHQL_RATE_LIMIT: '0',
    JWT_OIDC_TOKEN_RATE_LIMIT: '0',
    // Pools of tokens and codes are prepared before the timed window: they must outlive it.
    JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '3600',
    JWT_OIDC_AUTHORIZATION_CODE_EXPIRATION_TIME: '600',
    // The refresh pool feeds itself (each rotation returns the next token): no cap on refreshes.
    JWT_OIDC_MAX_REFRESH: 'null',
    ...o.extra,
  };
}

/** `jwt-oidc serve` from the build (`cli`: its dist/src/cli.js), as a deployment runs it. */
export async function startProvider(o: { name: string; cli: string; databaseUrl: string; alg: SignatureAlg; port?: number; issuer?: string; extra?: Record<string, string>; nodeArgs?: string[] }): Promise<ServerProcess> {
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  return spawnServer({
    name: o.name,
    args: [...(o.nodeArgs ?? []), o.cli, 'serve'],
    env: providerEnv({ port, issuer: o.issuer ?? url, databaseUrl: o.databaseUrl, alg: o.alg, extra: o.extra }),
    url,
    readyPath: '/readyz',
  });
}

/**
 * A peer server of bench/peers (TypeScript, run through swc); it prints `{"url": …}` when ready.
 * NODE_ENV stays unset, as for our providers: both sides run the same framework defaults.
 */
export function startPeer(name: string, peersDir: string, file: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return spawnServer({ name, args: [...TS_NODE_ARGS, join(peersDir, file)], env });
}
