import type { Command } from 'commander';
import { KeyError } from '../keys/errors.js';
import { createLogger } from '../log.js';
import { startServer } from '../server.js';
import { EXIT_USAGE, loadSettingsOrExit, type GlobalOptions } from './context.js';

export function serveCommand(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the service (the default command)')
    .action(async (_opts: unknown, cmd: Command) => {
      const loaded = loadSettingsOrExit(cmd.optsWithGlobals<GlobalOptions>());
      const logger = createLogger({ level: loaded.settings.logLevel });
      // Flush buffered log lines before exiting, so the last ones are neither lost nor reordered.
      const exit = (code: number) => logger.flush(() => process.exit(code));
      let stopping = false;
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      const stop = (reason: string, code: number) => {
        if (stopping) {
          logger.warn({ reason }, 'second stop request: exiting now');
          exit(1);
          return;
        }
        stopping = true;
        logger.info({ reason }, 'stop requested');
        void (server?.stop() ?? Promise.resolve()).then(
          () => exit(code),
          (e) => {
            logger.error({ err: e }, 'shutdown failed');
            exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM', 0));
      process.on('SIGINT', () => stop('SIGINT', 0));
      process.on('uncaughtException', (e) => {
        logger.fatal({ err: e }, 'uncaught exception');
        stop('uncaughtException', 1);
      });
      process.on('unhandledRejection', (e) => {
        logger.fatal({ err: e }, 'unhandled promise rejection');
        stop('unhandledRejection', 1);
      });
      try {
        server = await startServer({ settings: loaded.settings, logger });
      } catch (e) {
        // A secret that does not open the stored keys is a settings problem: say so plainly.
        if (e instanceof KeyError) {
          process.stderr.write(`jwt-oidc: ${e.message}\n`);
          logger.fatal({ code: e.code }, 'could not start: signing keys');
          exit(EXIT_USAGE);
          return;
        }
        logger.fatal({ err: e }, 'could not start');
        exit(1);
        return;
      }
      // A signal that arrived while starting: stop now that there is something to stop.
      if (stopping) await server.stop().then(() => exit(0));
    });
}
