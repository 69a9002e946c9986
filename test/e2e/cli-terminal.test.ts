/**
 * `--password-stdin` at a real terminal (a pseudo-terminal, test/support/terminal.ts): the
 * password is prompted for on stderr, twice, never shown, and the terminal is left as it was,
 * whether the command succeeds, is refused, or is interrupted with Ctrl-C.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/users/password.js';
import { runCli } from '../support/cli.js';
import { query, testDatabase } from '../support/database.js';
import { hasPty, inTerminal } from '../support/terminal.js';

let env: Record<string, string>;
let drop: () => Promise<void>;
const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-cli-tty-'));

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  env = { DATABASE_URL: db.url, JWT_OIDC_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  const migrated = await runCli(['migrate'], { env });
  expect(migrated.code, migrated.stderr).toBe(0);
});
afterAll(async () => {
  await drop?.();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * `jwt-oidc <args>` in a terminal, its stdout into a file (so what the terminal shows is stderr:
 * the prompts), then the exit status and the terminal's settings (`stty -a`) as a shell shows
 * them afterwards.
 */
function cliInTerminal(args: string[]) {
  const stdoutFile = join(dir, `stdout-${Math.random().toString(36).slice(2)}`);
  const script = 'out=$1; shift; "$@" >"$out"; code=$?; echo "[exit $code]"; stty -a; exit $code';
  const terminal = inTerminal(['sh', '-c', script, 'sh', stdoutFile, process.execPath, 'bin/jwt-oidc.js', ...args], env);
  return {
    ...terminal,
    /** Once the command is done: what it showed, its stdout, and the terminal's settings after it. */
    async done() {
      const result = await Promise.race([terminal.exit, new Promise<undefined>((r) => setTimeout(r, 30_000))]);
      if (!result) terminal.kill();
      expect(result, `the command did not finish:\n${terminal.output()}`).toBeDefined();
      const [shown, settings = ''] = terminal.output().split(/\[exit \d+\]/);
      return { code: result!.code, shown: shown!, settings, stdout: readFileSync(stdoutFile, 'utf8') };
    },
  };
}

/** Whether `stty -a` says the terminal echoes, edits lines and turns Ctrl-C into SIGINT again. */
function sane(settings: string): boolean {
  const flags = settings.split(/[\s;]+/);
  return ['echo', 'icanon', 'isig'].every((flag) => flags.includes(flag) && !flags.includes(`-${flag}`));
}

async function passwordHash(username: string): Promise<string | null | undefined> {
  const rows = await query<{ password_hash: string | null }>(env.DATABASE_URL!, 'select password_hash from users where username = $1', [username]);
  return rows[0] === undefined ? undefined : rows[0].password_hash;
}

// Letters that appear nowhere else on the screen: none of them may ever be shown.
const PASSWORD = 'qxzQXZJqxzQXZ';
const TYPED = /[qxzQXZJK]/;

describe.runIf(hasPty)('--password-stdin at a terminal', () => {
  it('prompts twice on stderr without echoing, handles backspace, and creates a user who can sign in', async () => {
    const t = cliInTerminal(['users', 'create', '--username', 'tty-alice', '--password-stdin']);
    await t.waitFor('Password: ');
    // A mistyped "K", erased again: the stored password is without it.
    t.type(`${PASSWORD}K\x7f\r`);
    const mark = t.output().indexOf('Password: ') + 'Password: '.length;
    await t.waitFor('Repeat password: ', mark);
    t.type(`${PASSWORD}\r`);
    const { code, shown, settings, stdout } = await t.done();
    expect(code, shown).toBe(0);
    expect(shown).toMatch(/^Password: \r?\nRepeat password: \r?\n$/);
    expect(shown).not.toMatch(TYPED);
    expect(stdout).toMatch(/^created user tty-alice \([0-9a-f-]{36}\)\n$/);
    expect(sane(settings), settings).toBe(true);
    const hash = await passwordHash('tty-alice');
    expect(await verifyPassword(PASSWORD, hash!)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}K`, hash!)).toBe(false);
  });

  it('refuses two passwords that differ, and creates nobody', async () => {
    const t = cliInTerminal(['users', 'create', '--username', 'tty-bob', '--password-stdin']);
    await t.waitFor('Password: ');
    t.type(`${PASSWORD}\r`);
    await t.waitFor('Repeat password: ');
    t.type(`${PASSWORD.toUpperCase()}\r`);
    const { code, shown, settings, stdout } = await t.done();
    expect(code, shown).toBe(2);
    expect(shown).toContain('jwt-oidc: the two passwords differ: nothing changed');
    expect(shown).not.toMatch(TYPED);
    expect(stdout).toBe('');
    expect(sane(settings), settings).toBe(true);
    expect(await passwordHash('tty-bob')).toBeUndefined();
  });

  it('Ctrl-C at the prompt exits 130, creates nobody and leaves the terminal sane', async () => {
    const t = cliInTerminal(['users', 'create', '--username', 'tty-carol', '--password-stdin']);
    await t.waitFor('Password: ');
    t.type('qxz');
    t.type('\x03');
    const { code, shown, settings, stdout } = await t.done();
    expect(code, shown).toBe(130);
    expect(shown).toContain('jwt-oidc: interrupted');
    expect(shown).not.toMatch(TYPED);
    expect(stdout).toBe('');
    // The shell still ran after it: the command handled Ctrl-C itself, no SIGINT went round.
    expect(t.output()).toContain('[exit 130]');
    expect(sane(settings), settings).toBe(true);
    expect(await passwordHash('tty-carol')).toBeUndefined();
  });

  it('an empty password or Ctrl-D aborts (exit 1) without creating anyone', async () => {
    for (const key of ['\r', '\x04']) {
      const t = cliInTerminal(['users', 'create', '--username', 'tty-dave', '--password-stdin']);
      await t.waitFor('Password: ');
      t.type(key);
      const { code, shown, settings } = await t.done();
      expect(code, JSON.stringify(key)).toBe(1);
      expect(shown).toContain('jwt-oidc: no password typed: nothing changed');
      expect(sane(settings), settings).toBe(true);
    }
    expect(await passwordHash('tty-dave')).toBeUndefined();
  });

  it('users set-password prompts the same way', async () => {
    const before = await passwordHash('tty-alice');
    const t = cliInTerminal(['users', 'set-password', '--username', 'tty-alice', '--password-stdin']);
    await t.waitFor('Password: ');
    t.type('ZQXJzqxZQx\r');
    await t.waitFor('Repeat password: ');
    t.type('ZQXJzqxZQx\r');
    const { code, shown, settings, stdout } = await t.done();
    expect(code, shown).toBe(0);
    expect(shown).not.toMatch(TYPED);
    expect(stdout).toBe('set the password of tty-alice\n');
    expect(sane(settings), settings).toBe(true);
    const after = await passwordHash('tty-alice');
    expect(after).not.toBe(before);
    expect(await verifyPassword('ZQXJzqxZQx', after!)).toBe(true);
  });
});
