/**
 * How the command line answers a mistake: one line naming it (an unknown command with the
 * nearest known one, an unknown option, a missing value) and a second saying where the usage
 * is; the usage itself only on `--help`. Exit code 2, as for every usage error (context.ts).
 *
 * `serve` is what runs when no command is given, but it is not commander's "default command":
 * that one receives every unknown word as its own argument, so `jwt-oidc userz list` answered
 * "too many arguments for 'serve'". The program runs it itself when there is no word at all.
 */
import { CommanderError, type Command } from 'commander';
import { CliError, EXIT_USAGE } from './context.js';
import { didYouMean } from './suggest.js';

/** `users create` for that command, `` for the program itself. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** A usage error of `cmd`: its name first, then a pointer to its --help. */
export function usageError(cmd: Command, message: string): CliError {
  const path = commandPath(cmd);
  const root = rootOf(cmd).name();
  return new CliError(path ? `${path}: ${message}` : message, 'ERR_USAGE', EXIT_USAGE, `see '${[root, path, '--help'].filter(Boolean).join(' ')}'`);
}

/**
 * Gives `root` and every command below it one-line errors (call once all are defined). A command
 * with subcommands answers a word that is none of them (and an option it does not know) itself;
 * with no word at all, `root` runs `whenNoCommand` and the others say a command is missing.
 */
export function configureUsage(root: Command, whenNoCommand: (cmd: Command) => Promise<void> | void): void {
  for (const cmd of commandTree(root)) {
    cmd.configureOutput({ outputError: () => undefined }); // printed by cli.ts, as one line
    cmd.showHelpAfterError(false);
    cmd.exitOverride((e) => {
      // --help and --version end here too, with exit code 0.
      throw e.exitCode === 0 || e.code === 'commander.help' ? e : fromCommander(cmd, e);
    });
    if (cmd.commands.length === 0) continue;
    cmd
      .allowUnknownOption()
      .allowExcessArguments()
      .helpCommand(true) // commander leaves `help [command]` out of a command with an action
      .action(async (_opts: unknown, self: Command) => {
        const [word] = self.args;
        if (word === undefined) {
          if (cmd === root) return whenNoCommand(self);
          throw usageError(cmd, `missing command: one of ${subcommandNames(cmd).join(', ')}`);
        }
        if (word.startsWith('-')) {
          const flag = word.split('=')[0]!;
          throw usageError(cmd, `unknown option '${flag}'${didYouMean(flag, optionNames(cmd))}`);
        }
        throw usageError(cmd, `unknown command '${word}'${didYouMean(word, subcommandNames(cmd))}`);
      });
  }
}

/** Commander's message, on one line and in our words where it names things. */
function fromCommander(cmd: Command, e: CommanderError): CliError {
  const message = e.message.replace(/^error: /, '').replace(/\n\(Did you mean .*\?\)$/s, '');
  switch (e.code) {
    case 'commander.unknownOption': {
      const flag = /unknown option '([^']+)'/.exec(message)?.[1] ?? '';
      return usageError(cmd, `unknown option '${flag}'${flag.startsWith('--') ? didYouMean(flag, optionNames(cmd)) : ''}`);
    }
    case 'commander.excessArguments': {
      const extra = cmd.args.slice(cmd.registeredArguments.length);
      return usageError(cmd, `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => `'${a}'`).join(' ')}`);
    }
    default:
      return usageError(cmd, message.replace(/\n+/g, ' '));
  }
}

function commandTree(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(commandTree)];
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

function subcommandNames(cmd: Command): string[] {
  return cmd.commands.map((c) => c.name()).sort();
}

/** The long options `cmd` accepts: its own and those of the commands above it, and --help. */
function optionNames(cmd: Command): string[] {
  const names = ['--help'];
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options) if (!o.hidden && o.long) names.push(o.long);
  }
  return names;
}
