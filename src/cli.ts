#!/usr/bin/env node
/** The `jwt-oidc` command line. */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { clientsCommand } from './cli/clients.js';
import { configCommand } from './cli/config.js';
import { keysCommand } from './cli/keys.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, printError, type GlobalOptions } from './cli/context.js';
import { migrateCommand } from './cli/migrate.js';
import { serveCommand } from './cli/serve.js';
import { usersCommand } from './cli/users.js';
import { VERSION } from './version.js';

const program = new Command('jwt-oidc')
  .description('A GraphQL-first OpenID Connect auth service.')
  .version(VERSION)
  .option('--config <file>', 'JSON settings file (also JWT_OIDC_CONFIG)')
  .showHelpAfterError()
  .exitOverride();
program.configureHelp({ sortSubcommands: true });

serveCommand(program);
migrateCommand(program);
configCommand(program);
usersCommand(program);
keysCommand(program);
clientsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const json = process.argv.includes('--json');
  if (e instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
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
