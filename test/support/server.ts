/** A real server on loopback, on its own test database (a copy of the migrated template). */
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { migratedDatabase } from './database.js';

export interface TestServer extends RunningServer {
  /** Log records written so far (when started with `captureLogs`). */
  logs: Record<string, unknown>[];
  /** Stops the server and drops its database. */
  close(): Promise<void>;
  databaseUrl: string;
  /** What the server wrote for the operator's terminal (the first-run setup code). */
  terminal(): string;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { captureLogs?: boolean; stopGracePeriodMillis?: number; clock?: Clock; consoleDir?: string } = {},
): Promise<TestServer> {
  // Migrated already: the start still checks for pending migrations, as every restart does.
  const db = await migratedDatabase();
  const { settings } = loadSettings({ env: { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', ...env } });
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: options.captureLogs ? 'debug' : 'silent', destination, pretty: false });
  // What the server tells the operator's terminal (the first-run setup code), kept instead of printed.
  const terminal = textSink();
  const server = await startServer({ settings, logger, stopGracePeriodMillis: options.stopGracePeriodMillis, clock: options.clock, terminal, consoleDir: options.consoleDir ?? process.env.JWT_OIDC_TEST_CONSOLE_DIR });
  return {
    ...server,
    logs,
    terminal: () => terminal.text,
    databaseUrl: db.url,
    async close() {
      await server.stop();
      await db.drop();
    },
  };
}

/** A stream that keeps what is written to it, as text. */
export function textSink(): Writable & { text: string } {
  const sink = Object.assign(new Writable({ write: (chunk, _enc, done) => ((sink.text += String(chunk)), done()) }), { text: '' });
  return sink;
}

/** POST a GraphQL operation as a browser-less client would (JSON, so CSRF prevention passes). */
export async function graphql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : {}) as { data?: any; errors?: any } };
}
