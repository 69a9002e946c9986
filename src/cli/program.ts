/** The `jwt-oidc` command line: its commands (src/cli.ts loads it, after tracing when that is on). */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { clientsCommand } from './clients.js';
import { configCommand } from './config.js';
import { keysCommand } from './keys.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, printError, type GlobalOptions } from './context.js';
import { migrateCommand } from './migrate.js';
import { resourcesCommand } from './resources.js';
import { serve, serveCommand } from './serve.js';
import { configureUsage } from './usage.js';
import { usersCommand } from './users.js';
import { VERSION } from '../version.js';

const program = new Command('jwt-oidc')
  .description('A GraphQL-first OpenID Connect auth service. Without a command: serve.')
  .version(VERSION)
  .option('--config <file>', 'JSON settings file (also JWT_OIDC_CONFIG)');
program.configureHelp({ sortSubcommands: true });

serveCommand(program);
migrateCommand(program);
configCommand(program);
usersCommand(program);
keysCommand(program);
clientsCommand(program);
resourcesCommand(program);
configureUsage(program, (cmd) => serve(cmd.opts<GlobalOptions>()));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const json = process.argv.includes('--json');
  if (e instanceof CommanderError) {
    // --help and --version (exit code 0); every usage error is a CliError by now (cli/usage.ts).
    process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  const opts: GlobalOptions = { json };
  if (e instanceof CliError) {
    printError(opts, e);
    process.exit(e.exitCode);
  }
  printError(opts, { code: 'ERR_UNEXPECTED', message: (e as Error)?.message ?? String(e) });
  process.exit(EXIT_FAILURE);
}
