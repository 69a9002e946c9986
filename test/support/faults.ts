/**
 * Fault injection for tests: a PostgreSQL cluster of a test's own that can be stopped and started
 * again on the same port, a provider in this process on any database URL, and an upstream
 * provider that misbehaves on the network (slow, silent, or hanging up).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded/cluster.js';
import { loadSettings } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { textSink } from './server.js';
import { freePort } from '../../src/util/free-port.js';
import { asTestProvider, type TestProvider } from './provider.js';

const silent = createLogger({ level: 'silent' });

/** An embedded PostgreSQL in a temporary directory, on a port that stays the same across restarts. */
export interface OwnCluster {
  url: string;
  port: number;
  /** Stops the server (fast shutdown: sessions are terminated, open transactions roll back). */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its directory. Idempotent. */
  destroy(): Promise<void>;
}

export async function ownCluster(): Promise<OwnCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-oidc-faults-'));
  await chmod(dir, 0o755); // the postgres user must enter it when we run as root
  const clusterDir = join(dir, 'postgres');
  const port = await freePort();
  let current: EmbeddedPostgres | undefined = await acquireEmbeddedPostgres({ clusterDir, port, logger: silent });
  if (!current.started || current.port !== port) throw new Error(`the test cluster did not start on port ${port}`);
  const url = current.url;
  let destroyed: Promise<void> | undefined;
  return {
    url,
    port,
    async stop() {
      // We hold the only usage lock (the provider connects by URL), so releasing stops the server.
      await current?.release();
      current = undefined;
    },
    async start() {
      if (current) return;
      current = await acquireEmbeddedPostgres({ clusterDir, port, logger: silent });
      if (current.port !== port) throw new Error(`the test cluster came back on port ${current.port}, not ${port}`);
    },
    destroy: () =>
      (destroyed ??= (async () => {
        await current?.release().catch(() => undefined);
        current = undefined;
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * A provider in this process on the database at `databaseUrl` (left alone at close), with the
 * helpers of test/support/provider.ts.
 */
export async function providerOn(databaseUrl: string, env: Record<string, string> = {}): Promise<TestProvider> {
  const { settings } = loadSettings({
    env: {
      DATABASE_URL: databaseUrl,
      PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_OIDC_KEY_ENCRYPTION_SECRET: 't'.repeat(40),
      JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT: '10000',
      ...env,
    },
  });
  // Warnings and errors are kept: a test can look for what went wrong inside.
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'warn', destination, pretty: false });
  const terminal = textSink();
  const server = await startServer({ settings, logger, stopGracePeriodMillis: 2_000, terminal });
  return asTestProvider({ ...server, logs, databaseUrl, terminal: () => terminal.text, close: () => server.stop() });
}

/** How the misbehaving upstream treats a path. */
export type UpstreamBehaviour =
  | { kind: 'json'; body: unknown; delayMs?: number; status?: number }
  /** Reads the request and never answers. */
  | { kind: 'silent' }
  /** Accepts the connection, then closes it without a word. */
  | { kind: 'hang-up' }
  /** Sends the status line, headers and the start of a body, then nothing more. */
  | { kind: 'stalled-body' };

export interface MisbehavingUpstream {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Behaviour per path; unknown paths are 404. */
  routes: Map<string, UpstreamBehaviour>;
  /** Requests received, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function misbehavingUpstream(): Promise<MisbehavingUpstream> {
  const routes = new Map<string, UpstreamBehaviour>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const behaviour = routes.get(path);
    if (!behaviour) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    if (behaviour.kind === 'silent') return; // the socket stays open until the client gives up
    if (behaviour.kind === 'hang-up') return void req.socket.destroy();
    if (behaviour.kind === 'stalled-body') return void res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys":[');
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(behaviour.body));
    };
    if (!behaviour.delayMs) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, behaviour.delayMs);
    timers.add(timer);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy in front of PostgreSQL that drops connections at chosen moments: when a
 * connection sends `BEGIN` (the database is reachable, but a transaction dies with its first
 * statement), or once the work of a statement matching `dropAnswerAfter` is committed but
 * before the answer reaches the application (it cannot know whether it happened).
 */
export interface DatabaseProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  dropAtBegin: boolean;
  /** Connections dropped at BEGIN so far. */
  dropped: number;
  /** Drop the answer that ends the transaction of the next statement matching this. */
  dropAnswerAfter: RegExp | undefined;
  /** Answers dropped so far. */
  droppedAnswers: number;
  close(): Promise<void>;
}

/** ReadyForQuery, idle: the statement's transaction is over (committed or rolled back). */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

export async function databaseProxy(target: string): Promise<DatabaseProxy> {
  const upstreamUrl = new URL(target);
  const sockets = new Set<Socket>();
  const state: Pick<DatabaseProxy, 'dropAtBegin' | 'dropped' | 'dropAnswerAfter' | 'droppedAnswers'> = { dropAtBegin: false, dropped: 0, dropAnswerAfter: undefined, droppedAnswers: 0 };
  const server = createTcpServer((client) => {
    const upstream = connect(Number(upstreamUrl.port || 5432), upstreamUrl.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => sockets.delete(s));
    }
    let armed = false;
    client.on('data', (d: Buffer) => {
      if (state.dropAnswerAfter?.test(d.toString('utf8'))) {
        state.dropAnswerAfter = undefined;
        armed = true;
      }
      // A simple-query message ('Q') whose text starts a transaction.
      if (state.dropAtBegin && d[0] === 0x51 && /^\s*begin\b/i.test(d.subarray(5).toString('utf8'))) {
        state.dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (armed && d.includes(READY_IDLE)) {
        state.droppedAnswers++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return Object.assign(state, {
    url: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
