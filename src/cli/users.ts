import type { Command } from 'commander';
import type { User } from '../db/entities/user.js';
import { normalizeUsername, publicUser, UserError, UserService } from '../users/user-service.js';
import { CliError, EXIT_USAGE, loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';

interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

interface CreateOptions extends GlobalOptions, PasswordOptions {
  username: string;
  email?: string;
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
  locale?: string;
  picture?: string;
  admin?: boolean;
}

export function usersCommand(program: Command): void {
  const users = program.command('users').description('manage users who log in at the provider');

  users
    .command('create')
    .description('create a user')
    .requiredOption('--username <name>', 'unique login name (stored in lower case)')
    .option('--password <password>', 'password (visible in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--email <email>', 'email address')
    .option('--email-verified', 'mark the email address as verified')
    .option('--given-name <name>', 'given name')
    .option('--family-name <name>', 'family name')
    .option('--locale <tag>', 'BCP 47 language tag, e.g. en-GB')
    .option('--picture <url>', 'URL of a profile picture')
    .option('--admin', 'may obtain the admin scope (administers the provider)')
    .option('--json', 'machine-readable output')
    .action(async (opts: CreateOptions, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const password = await readPassword(opts);
      const loaded = loadSettingsOrExit(all);
      const user = await withDatabase(loaded, (db) =>
        mapUserError(() =>
          new UserService(db.orm.em).create({
            username: opts.username,
            password,
            email: opts.email,
            emailVerified: opts.emailVerified,
            givenName: opts.givenName,
            familyName: opts.familyName,
            locale: opts.locale,
            picture: opts.picture,
            admin: opts.admin,
          }),
        ),
      );
      print(all, publicUser(user), `created user ${user.username} (${user.id})${user.admin ? ' with admin rights' : ''}`);
    });

  users
    .command('list')
    .description('list users')
    .option('--search <text>', 'only users whose username, email or name contains this')
    .option('--limit <n>', 'at most this many (default 100)', (v) => positiveInt(v, '--limit'))
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { search?: string; limit?: number }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const list = await withDatabase(loaded, (db) => new UserService(db.orm.em).list({ search: opts.search, limit: opts.limit }));
      print(all, list.map(publicUser), list.length ? table(list) : 'no users');
    });

  users
    .command('set-password')
    .description('set (or with --clear, remove) a user\'s password')
    .requiredOption('--username <name>', 'the user')
    .option('--password <password>', 'new password (visible in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from standard input')
    .option('--clear', 'remove the password: the user can no longer log in with one')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & PasswordOptions & { username: string; clear?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const password = opts.clear ? null : await readPassword(opts);
      if (password === undefined) throw new CliError('give --password, --password-stdin or --clear', 'ERR_USAGE', EXIT_USAGE);
      const loaded = loadSettingsOrExit(all);
      const user = await withDatabase(loaded, (db) => mapUserError(() => new UserService(db.orm.em).setPassword(opts.username, password)));
      print(all, publicUser(user), password === null ? `removed the password of ${user.username}` : `set the password of ${user.username}`);
    });

  users
    .command('delete')
    .description('delete a user')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { username: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      await withDatabase(loaded, (db) => mapUserError(() => new UserService(db.orm.em).delete(opts.username)));
      print(all, { deleted: normalizeUsername(opts.username) }, `deleted user ${normalizeUsername(opts.username)}`);
    });
}

async function readPassword(opts: PasswordOptions): Promise<string | undefined> {
  if (opts.password !== undefined && opts.passwordStdin) {
    throw new CliError('give either --password or --password-stdin, not both', 'ERR_USAGE', EXIT_USAGE);
  }
  if (!opts.passwordStdin) return opts.password;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the end of the line, not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function mapUserError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError) throw new CliError(e.message, e.code, e.code === 'ERR_USER_INVALID' ? EXIT_USAGE : 1);
    throw e;
  }
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: expected a whole number ≥ 1; got "${value}"`, 'ERR_USAGE', EXIT_USAGE);
  return n;
}

function table(users: User[]): string {
  const rows = users.map((u) => [u.username, u.email ?? '', u.admin ? 'admin' : '', u.active ? '' : 'inactive', u.id]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n');
}
