import { DataDirError } from '../config/data-dir.js';
import { DatabaseModeError } from '../db/database-mode.js';
import type { Command } from 'commander';
import { releaseAllEmbeddedPostgres } from '../db/embedded/cluster.js';
import { KeyError } from '../keys/errors.js';
import { createLogger, type Logger } from '../log.js';
import { stopTracing } from '../telemetry/hooks.js';
import type { RunningServer } from '../server.js';
import { EXIT_USAGE, loadSettingsOrExit, type GlobalOptions } from './context.js';
import { onStopSignals } from './stop-signals.js';

/**
 * After a second stop request, how long the orderly shutdown may still take before it is
 * abandoned: the embedded cluster is then released directly (and stopped if we are its last
 * user), and we exit.
 */
const HURRIED_STOP_MS = 5_000;

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the service (the default command)')
    .action((_opts: unknown, cmd: Command) => serve(cmd.optsWithGlobals<GlobalOptions>()));
}

/** Runs the service until a stop signal; `jwt-oidc` without a command does this too (usage.ts). */
export async function serve(opts: GlobalOptions): Promise<void> {
  const loaded = loadSettingsOrExit(opts);
  const logger = createLogger({ level: loaded.settings.logLevel });
  // Send the spans still buffered (when tracing), and flush buffered log lines before exiting, so
  // the last ones are neither lost nor reordered.
  const exit = (code: number) => void stopTracing().finally(() => logger.flush(() => process.exit(code)));
  const shutdown = shutdownControl(logger, exit);
  onStopSignals((signal) => shutdown.request(signal, 0));
  process.on('uncaughtException', (e) => {
    logger.fatal({ err: e }, 'uncaught exception');
    shutdown.request('uncaughtException', 1);
  });
  process.on('unhandledRejection', (e) => {
    logger.fatal({ err: e }, 'unhandled promise rejection');
    shutdown.request('unhandledRejection', 1);
  });
  let server: RunningServer;
  try {
    // The whole service, loaded once the settings are known to be good.
    const { startServer } = await import('../server.js');
    server = await startServer({ settings: loaded.settings, logger });
  } catch (e) {
    // A secret that does not open the stored keys is a settings problem: say so plainly.
    if (e instanceof KeyError || e instanceof DataDirError || e instanceof DatabaseModeError) {
      process.stderr.write(`jwt-oidc: ${e.message}\n`);
      logger.fatal({ code: e.code }, e instanceof KeyError ? 'could not start: signing keys' : e instanceof DataDirError ? 'could not start: data directory' : 'could not start: database of another mode');
      exit(EXIT_USAGE);
      return;
    }
    logger.fatal({ err: e }, 'could not start');
    exit(1);
    return;
  }
  // A stop requested while starting proceeds now that there is something to stop.
  shutdown.started(server);
}

/**
 * The first stop request stops the server gracefully, then exits. Later ones (a second Ctrl-C,
 * or npm's forwarded copy of the first) hurry it: open connections are cut, and if the rest
 * still takes longer than HURRIED_STOP_MS it is abandoned, but never before the embedded
 * cluster is released. Only SIGKILL leaves the cluster running (the next start reuses it).
 */
function shutdownControl(logger: Logger, exit: (code: number) => void) {
  let server: RunningServer | undefined;
  let requested: number | undefined; // the exit code of the first request
  let hurried = false;

  const begin = (running: RunningServer, code: number) => {
    if (hurried) hurry(running);
    running.stop().then(
      () => exit(code),
      (e) => {
        logger.error({ err: e }, 'shutdown failed');
        void releaseAllEmbeddedPostgres().finally(() => exit(1));
      },
    );
  };
  const hurry = (running: RunningServer) => {
    running.hurry();
    setTimeout(() => {
      logger.warn('the shutdown is taking too long: releasing the embedded PostgreSQL and exiting');
      void releaseAllEmbeddedPostgres().finally(() => exit(1));
    }, HURRIED_STOP_MS).unref();
  };

  return {
    request(reason: string, code: number) {
      if (requested === undefined) {
        requested = code;
        logger.info({ reason }, 'stop requested');
        if (server) begin(server, code);
        return;
      }
      if (hurried) return;
      hurried = true;
      // Info, not a warning: under `npm start`, a single Ctrl-C arrives twice (see stop-signals.ts).
      logger.info({ reason }, 'stop requested again: hurrying (open connections are cut); the embedded PostgreSQL is still stopped if this is its last user');
      if (server) hurry(server);
    },
    started(running: RunningServer) {
      server = running;
      if (requested !== undefined) begin(running, requested);
    },
  };
}
