#!/usr/bin/env node
/** The `jwt-oidc` command line. */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { clientsCommand } from './cli/clients.js';
import { configCommand } from './cli/config.js';
import { keysCommand } from './cli/keys.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, printError, type GlobalOptions } from './cli/context.js';
import { migrateCommand } from './cli/migrate.js';
import { resourcesCommand } from './cli/resources.js';
import { serve, serveCommand } from './cli/serve.js';
import { configureUsage } from './cli/usage.js';
import { usersCommand } from './cli/users.js';
import { VERSION } from './version.js';

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
