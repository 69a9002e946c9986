import type { Command } from 'commander';
import type { User } from '../db/entities/user.js';
import { audit } from '../audit.js';
import { cliActor, CliError, EXIT_USAGE, loadSettingsOrExit, print, withDatabase, type GlobalOptions } from './context.js';
import { readPasswordInput } from './password-prompt.js';
import { usageError } from './usage.js';

/**
 * The users domain, loaded when a command runs: a usage error or `--help` answers without
 * loading the ORM (each start of the command costs its imports: docs/ARCHITECTURE.md).
 */
const usersDomain = () => import('../users/user-service.js');

interface CreateOptions extends GlobalOptions {
  username: string;
  /** `false` for `--no-password`. */
  password?: string | false;
  passwordStdin?: boolean;
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
    .option('--password-stdin', 'read the password from standard input (prompted for, twice, on a terminal)')
    .option('--password <password>', 'password (visible in the process list: prefer --password-stdin)')
    .option('--no-password', 'no password: the user signs in by delegated login only, until one is set')
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
      const { normalizeUsername, publicUser, UserService } = await usersDomain();
      const username = normalizeUsername(opts.username);
      if (opts.password === false && opts.passwordStdin) throw usageError(cmd, 'give either --password-stdin or --no-password, not both');
      // Saying nothing used to create a user who could never sign in: how is now a choice.
      if (opts.password === undefined && !opts.passwordStdin) {
        throw usageError(cmd, `choose how ${username} signs in: --password-stdin, or --no-password (delegated login only)`);
      }
      const password = opts.password === false ? undefined : await readPassword(cmd, { password: opts.password, passwordStdin: opts.passwordStdin });
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
      const created = `created user ${user.username} (${user.id})${user.admin ? ' with admin rights' : ''}`;
      const noPassword = `${user.username} cannot sign in with a password until one is set: jwt-oidc users set-password --username ${user.username} --password-stdin`;
      print(all, publicUser(user), password === undefined ? `${created}\n${noPassword}` : created);
    });

  users
    .command('invite')
    .description('mail an invitation: a single-use link that lets its reader choose a username and password (JWT_OIDC_REGISTRATION=invite or open)')
    .requiredOption('--email <address>', 'where the invitation goes: the address of the account')
    .option('--admin', 'the account will be an administrator')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { email: string; admin?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { invitationsOn } = await import('../config/derive.js');
      if (!invitationsOn(loaded.settings)) throw usageError(cmd, 'invitations are off: set JWT_OIDC_REGISTRATION=invite (or open), in provider mode');
      const { invite } = await import('./invite.js');
      const invitation = await withDatabase(loaded, (db, logger) => mapUserError(() => invite(loaded, db, logger, { email: opts.email, admin: opts.admin ?? false })));
      const until = invitation.expiresAt.toISOString();
      print(all, { email: invitation.email, admin: invitation.admin, expiresAt: until, delivery: invitation.delivery }, `invited ${invitation.email}${invitation.admin ? ' (administrator)' : ''}: ${invitation.delivery === 'smtp' ? 'the mail was handed to the SMTP server' : 'the mail, with its link, was written to the log (no JWT_OIDC_SMTP_URL)'}; the link works once, until ${until}`);
    });

  users
    .command('list')
    .description('list users')
    .option('--search <text>', 'only users whose username, email or name contains this (1 or 2 characters: starts with it)')
    .option('--limit <n>', 'at most this many (default 100)', (v) => positiveInt(v, '--limit'))
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { search?: string; limit?: number }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { publicUser, UserService } = await usersDomain();
      const list = await withDatabase(loaded, (db) => new UserService(db.orm.em).list({ search: opts.search, limit: opts.limit }));
      print(all, list.map(publicUser), list.length ? table(list) : 'no users');
    });

  users
    .command('set-password')
    .description('set (or with --clear, remove) a user\'s password')
    .requiredOption('--username <name>', 'the user')
    .option('--password-stdin', 'read the new password from standard input (prompted for, twice, on a terminal)')
    .option('--password <password>', 'new password (visible in the process list: prefer --password-stdin)')
    .option('--clear', 'remove the password: the user can no longer log in with one')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { password?: string; passwordStdin?: boolean; username: string; clear?: boolean }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      if (opts.clear && (opts.password !== undefined || opts.passwordStdin)) throw usageError(cmd, 'give either a new password or --clear, not both');
      if (!opts.clear && opts.password === undefined && !opts.passwordStdin) throw usageError(cmd, 'give the new password (--password-stdin) or --clear');
      const password = opts.clear ? null : await readPassword(cmd, opts);
      const loaded = loadSettingsOrExit(all);
      const { publicUser, UserService } = await usersDomain();
      const user = await withDatabase(loaded, (db) => mapUserError(() => new UserService(db.orm.em).setPassword(opts.username, password)));
      print(all, publicUser(user), password === null ? `removed the password of ${user.username}` : `set the password of ${user.username}`);
    });

  users
    .command('reset-mfa')
    .description('remove every second factor and recovery code of a user (a lost phone)')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { username: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { resetFactors } = await import('../users/factors.js');
      const { user, removed } = await withDatabase(
        loaded,
        async (db, logger) => {
          const reset = await mapUserError(() => resetFactors(db.orm.em, opts.username));
          audit(logger, 'mfa.reset', { outcome: 'success', ...cliActor(), user: reset.user.id, removed: reset.removed }, 'second factors reset from the command line');
          return reset;
        },
        { audit: true },
      );
      print(all, { username: user.username, removedFactors: removed }, `removed ${removed} second factor${removed === 1 ? '' : 's'} of ${user.username}`);
    });

  users
    .command('factors')
    .description("list a user's second factors (two-step sign-in) and how many recovery codes they have left")
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { username: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { factorsOf } = await import('../users/factors.js');
      const { UserService } = await usersDomain();
      const { user, factors, recoveryCodesLeft } = await withDatabase(loaded, (db) =>
        mapUserError(async () => {
          const found = await new UserService(db.orm.em).find(opts.username);
          return { user: found, ...(await factorsOf(db.orm.em, found.id)) };
        }),
      );
      const listed = factors.map((f) => ({ id: f.id, kind: f.kind, name: f.name, createdAt: f.createdAt.toISOString(), lastUsedAt: f.lastUsedAt?.toISOString() ?? null }));
      const rows = listed.map((f) => [f.kind, f.name, `added ${f.createdAt}`, `last used ${f.lastUsedAt ?? 'never'}`, f.id]);
      const human = rows.length ? `${columns(rows)}\n${recoveryCodesLeft} recovery code${recoveryCodesLeft === 1 ? '' : 's'} left` : `${user.username} has no second factor`;
      print(all, { username: user.username, factors: listed, recoveryCodesLeft }, human);
    });

  users
    .command('remove-factor')
    .description("remove one second factor of a user (with their last one, the recovery codes go too)")
    .requiredOption('--username <name>', 'the user')
    .requiredOption('--id <factorId>', "the factor's id (jwt-oidc users factors)")
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { username: string; id: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { removeFactorOf } = await import('../users/factors.js');
      const { user, kind } = await withDatabase(
        loaded,
        async (db, logger) => {
          const removed = await mapUserError(() => removeFactorOf(db.orm.em, opts.username, opts.id));
          audit(logger, 'mfa.removed', { outcome: 'success', ...cliActor(), user: removed.user.id, kind: removed.kind, factor: opts.id }, 'second factor removed from the command line');
          return removed;
        },
        { audit: true },
      );
      print(all, { username: user.username, removed: { id: opts.id, kind } }, `removed the ${kind} factor ${opts.id} of ${user.username}`);
    });

  users
    .command('delete')
    .description('delete a user')
    .requiredOption('--username <name>', 'the user')
    .option('--json', 'machine-readable output')
    .action(async (opts: GlobalOptions & { username: string }, cmd: Command) => {
      const all = { ...cmd.optsWithGlobals<GlobalOptions>(), ...opts };
      const loaded = loadSettingsOrExit(all);
      const { normalizeUsername, UserService } = await usersDomain();
      await withDatabase(loaded, (db) => mapUserError(() => new UserService(db.orm.em).delete(opts.username)));
      print(all, { deleted: normalizeUsername(opts.username) }, `deleted user ${normalizeUsername(opts.username)}`);
    });
}

/** The password given by `--password-stdin` or `--password` (one of them, checked before). */
async function readPassword(cmd: Command, opts: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (opts.password !== undefined && opts.passwordStdin) throw usageError(cmd, 'give either --password or --password-stdin, not both');
  return opts.passwordStdin ? readPasswordInput() : opts.password!;
}

async function mapUserError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof (await usersDomain()).UserError) throw new CliError(e.message, e.code, e.code === 'ERR_USER_INVALID' ? EXIT_USAGE : 1);
    throw e;
  }
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: expected a whole number ≥ 1; got "${value}"`, 'ERR_USAGE', EXIT_USAGE);
  return n;
}

function table(users: User[]): string {
  return columns(users.map((u) => [u.username, u.email ?? '', u.admin ? 'admin' : '', u.active ? '' : 'inactive', u.id]));
}

/** Rows as aligned columns, the last one unpadded. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ')).join('\n');
}
