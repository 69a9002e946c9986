/**
 * What every CLI command shares: settings (exit 2 on a bad one), a logger on stderr (stdout is
 * for results, `--json` ones in particular), the database, results and errors printed the same
 * way everywhere, and exit codes: 0 done, 1 failed, 2 bad usage or settings.
 */
import { userInfo } from 'node:os';
import { pino } from 'pino';
import { withAuditSink } from '../audit.js';
import { ConfigError, loadSettings, type LoadedSettings } from '../config/load.js';
import type { Database } from '../db/database.js';
import { createLogger, type Logger } from '../log.js';
import { interruptedExitCode, onStopSignals } from './stop-signals.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * An expected failure of a command: printed as one line (or JSON), no stack trace; `hint` is a
 * second line for a person (such as where the usage is), left out of the JSON.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string = 'ERR_CLI',
    readonly exitCode: number = EXIT_FAILURE,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export function loadSettingsOrExit(opts: GlobalOptions): LoadedSettings {
  try {
    return loadSettings({ configFile: opts.config });
  } catch (e) {
    if (e instanceof ConfigError) {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ error: { code: e.code, problems: e.problems } })}\n`);
      } else {
        process.stderr.write(`jwt-oidc: invalid settings:\n${e.problems.map((p) => `  ${p}`).join('\n')}\n`);
      }
      process.exit(EXIT_USAGE);
    }
    throw e;
  }
}

/** Logs of a short command: warnings only unless LOG_LEVEL is set, and on stderr. */
export function commandLogger(loaded: LoadedSettings): Logger {
  const level = loaded.sources.logLevel === 'default' ? 'warn' : loaded.settings.logLevel;
  return createLogger({ level, destination: pino.destination({ fd: 2, sync: true }) as unknown as NodeJS.WritableStream, pretty: process.stderr.isTTY === true });
}

/**
 * Runs `fn` with an open database; closes it afterwards, also when interrupted (from the start:
 * opening may be what starts the embedded cluster), so a cluster this command started is
 * stopped again before we exit.
 */
export async function withDatabase<T>(loaded: LoadedSettings, fn: (db: Database, logger: Logger) => Promise<T>, options: { migrate?: boolean; audit?: boolean } = {}): Promise<T> {
  const baseLogger = commandLogger(loaded);
  let logger = baseLogger;
  // The database layer (MikroORM, pg) is loaded by the commands that use it only.
  const opening = import('../db/database.js').then(({ openDatabase }) => openDatabase(loaded.settings, logger, options));
  let interrupted = false;
  const stopListening = onStopSignals((signal, count) => {
    if (count > 1) return; // already closing: a repeated signal must not cut that short
    interrupted = true;
    void opening
      .then((db) => db.close())
      .catch(() => undefined)
      .finally(() => process.exit(interruptedExitCode(signal)));
  });
  try {
    const db = await opening;
    try {
      // `audit`: the command's audit events (src/audit.ts, with `cliActor()`) are kept as a
      // server's are, so that the console's audit page shows what was done from the command line.
      const stream = options.audit ? (await import('../audit-store.js')).databaseAuditStream(loaded.settings, db, baseLogger) : undefined;
      if (stream) logger = withAuditSink(baseLogger, stream.sink);
      try {
        return await fn(db, logger);
      } finally {
        await stream?.stop();
      }
    } finally {
      await db.close();
    }
  } finally {
    // Once interrupted, keep listening until the exit: further signals are then ignored.
    if (!interrupted) stopListening();
  }
}

/**
 * Who acts in a command's audit events: `cli` (the `actor`, what the audit page filters on) and
 * the account of the operating system that ran it (`osUser`), when it has a name.
 */
export function cliActor(): { actor: string; osUser?: string } {
  try {
    return { actor: 'cli', osUser: userInfo().username };
  } catch {
    // An account without an entry in the passwd database (a container's arbitrary uid).
    return { actor: 'cli' };
  }
}

export function print(opts: GlobalOptions, json: unknown, human: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : human.endsWith('\n') ? human : `${human}\n`);
}

export function printError(opts: GlobalOptions, error: { code: string; message: string; hint?: string }): void {
  if (opts.json) process.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
  else process.stderr.write(`jwt-oidc: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
}
