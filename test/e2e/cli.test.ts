/** The real `jwt-oidc` command against a test database (`DATABASE_URL`). */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/users/password.js';
import { finished, runCli, spawnCli, type CliResult } from '../support/cli.js';
import { testDatabase } from '../support/database.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let env: Record<string, string>;
let drop: () => Promise<void>;
const dataDir = mkdtempSync(join(tmpdir(), 'jwt-oidc-cli-'));

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  env = { DATABASE_URL: db.url, JWT_OIDC_DATA_DIR: dataDir };
});
afterAll(() => drop?.());

async function row(username: string): Promise<Record<string, unknown> | undefined> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query('select * from users where username = $1', [username])).rows[0];
  } finally {
    await client.end();
  }
}

describe('jwt-oidc migrate', () => {
  it('applies the migrations of a fresh database, then finds nothing to do', async () => {
    const first = await runCli(['migrate', '--json'], { env: { ...env, JWT_OIDC_MIGRATE_ON_START: 'false' } });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).applied.length).toBeGreaterThan(0);
    const again = await runCli(['migrate'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('the database is up to date');
  });
});

describe('jwt-oidc users', () => {
  it('creates a user with a password from stdin and prints JSON without secrets', async () => {
    const res = await runCli(['users', 'create', '--username', 'Alice', '--email', 'alice@example.com', '--given-name', 'Alice', '--password-stdin', '--json'], {
      env,
      input: 'correct horse battery staple\n',
    });
    expect(res.code, res.stderr).toBe(0);
    const user = JSON.parse(res.stdout);
    expect(user).toMatchObject({ username: 'alice', email: 'alice@example.com', givenName: 'Alice', admin: false, active: true, hasPassword: true });
    expect(res.stdout).not.toMatch(/passwordHash|scrypt|correct horse/);
    const stored = await row('alice');
    expect(await verifyPassword('correct horse battery staple', stored!.password_hash as string)).toBe(true);
  });

  it('refuses a duplicate (exit 1) and invalid input (exit 2), naming the field', async () => {
    const [dup, bad, both] = await Promise.all([
      runCli(['users', 'create', '--username', 'ALICE', '--no-password', '--json'], { env }),
      runCli(['users', 'create', '--username', 'bob', '--no-password', '--email', 'not-an-email'], { env }),
      runCli(['users', 'create', '--username', 'bob', '--password', 'x'.repeat(10), '--password-stdin'], { env, input: 'y' }),
    ]);
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.stdout)).toEqual({ error: { code: 'ERR_USER_EXISTS', message: 'a user named "alice" already exists' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('jwt-oidc: email: must be an email address');
    expect(both.code).toBe(2);
    expect(await row('bob')).toBeUndefined();
  });

  it('creates an admin and lists users', async () => {
    const created = await runCli(['users', 'create', '--username', 'root-admin', '--admin', '--no-password'], { env });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created user root-admin \([0-9a-f-]{36}\) with admin rights/);
    const [list, search] = await Promise.all([runCli(['users', 'list', '--json'], { env }), runCli(['users', 'list', '--search', 'ALI', '--json'], { env })]);
    expect(JSON.parse(list.stdout).map((u: { username: string; admin: boolean }) => [u.username, u.admin])).toEqual([
      ['alice', false],
      ['root-admin', true],
    ]);
    expect(JSON.parse(search.stdout).map((u: { username: string }) => u.username)).toEqual(['alice']);
  });

  it('sets and clears a password', async () => {
    const before = (await row('alice'))!.password_hash;
    const set = await runCli(['users', 'set-password', '--username', 'alice', '--password-stdin'], { env, input: 'a brand new password\n' });
    expect(set.code).toBe(0);
    const after = (await row('alice'))!.password_hash as string;
    expect(after).not.toBe(before);
    expect(await verifyPassword('a brand new password', after)).toBe(true);
    const short = await runCli(['users', 'set-password', '--username', 'alice', '--password', 'short'], { env });
    expect(short.code).toBe(2);
    expect((await row('alice'))!.password_hash).toBe(after);
    const clear = await runCli(['users', 'set-password', '--username', 'alice', '--clear', '--json'], { env });
    expect(JSON.parse(clear.stdout).hasPassword).toBe(false);
  });

  it('deletes a user, and says so when there is none', async () => {
    const del = await runCli(['users', 'delete', '--username', 'root-admin', '--json'], { env });
    expect(JSON.parse(del.stdout)).toEqual({ deleted: 'root-admin' });
    expect(await row('root-admin')).toBeUndefined();
    const missing = await runCli(['users', 'delete', '--username', 'root-admin', '--json'], { env });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('ERR_USER_NOT_FOUND');
  });

  it('never starts the embedded PostgreSQL when DATABASE_URL is set', () => {
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
  });
});

describe('jwt-oidc users invite', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp?.close());
  const inviting = () => ({ ...env, JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_ISSUER: 'https://id.example.com', JWT_OIDC_PRODUCT_NAME: 'Acme Identity' });

  async function invitations(email: string): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query("select data, expires_at, used_at from account_tokens where kind = 'invitation' and data->>'email' = $1", [email])).rows;
    } finally {
      await client.end();
    }
  }

  it('mails the invitation through SMTP before it exits, and says where it went and until when (also as JSON)', async () => {
    const started = Date.now();
    const res = await runCli(['users', 'invite', '--email', 'carol@example.com', '--admin', '--json'], { env: { ...inviting(), JWT_OIDC_SMTP_URL: smtp.url } });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toEqual({ email: 'carol@example.com', admin: true, expiresAt: expect.any(String), delivery: 'smtp' });
    // JWT_OIDC_INVITATION_LIFETIME's default, 7 days, from when the command ran.
    expect(Date.parse(out.expiresAt)).toBeGreaterThanOrEqual(started + 7 * 24 * 3600_000);
    expect(Date.parse(out.expiresAt)).toBeLessThanOrEqual(Date.now() + 7 * 24 * 3600_000);
    // Received by the time the command exited: no waiting here.
    const mail = smtp.messages.find((m) => m.to.includes('carol@example.com'));
    expect(mail?.subject).toBe('Acme Identity: You are invited to Acme Identity');
    expect(mail?.text).toMatch(/https:\/\/id\.example\.com\/account\/invitation\/[\w-]{43}/);
    expect(mail?.text).toContain('with administrator rights');
    expect(await invitations('carol@example.com')).toEqual([{ data: { email: 'carol@example.com', admin: true, invitedBy: 'cli' }, expires_at: new Date(out.expiresAt), used_at: null }]);

    // Again: the older link is replaced; said for a person this time.
    const again = await runCli(['users', 'invite', '--email', 'carol@example.com'], { env: { ...inviting(), JWT_OIDC_SMTP_URL: smtp.url } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^invited carol@example\.com: the mail was handed to the SMTP server; the link works once, until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    expect(await invitations('carol@example.com')).toEqual([expect.objectContaining({ data: { email: 'carol@example.com', admin: false, invitedBy: 'cli' } })]);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(2);
  });

  it('without SMTP_URL outside production, writes the mail with its link to the log', async () => {
    const res = await runCli(['users', 'invite', '--email', 'dave@example.com'], { env: inviting() });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('invited dave@example.com: the mail, with its link, was written to the log (no JWT_OIDC_SMTP_URL)');
    expect(res.stderr).toMatch(/https:\/\/id\.example\.com\/account\/invitation\/[\w-]{43}/);
  });

  it('refuses with REGISTRATION=off (a usage error, exit 2), an address that has an account (exit 1) and one that is none (exit 2)', async () => {
    const off = await runCli(['users', 'invite', '--email', 'erin@example.com'], { env });
    expectUsageError(off, 'users invite: invitations are off: set JWT_OIDC_REGISTRATION=invite (or open), in provider mode', 'jwt-oidc users invite --help');
    const created = await runCli(['users', 'create', '--username', 'frank', '--email', 'frank@example.com', '--no-password'], { env });
    expect(created.code).toBe(0);
    const [taken, bad] = await Promise.all([
      runCli(['users', 'invite', '--email', 'FRANK@example.com', '--json'], { env: inviting() }),
      runCli(['users', 'invite', '--email', 'not-an-address'], { env: inviting() }),
    ]);
    expect(taken.code).toBe(1);
    expect(JSON.parse(taken.stdout)).toEqual({ error: { code: 'ERR_USER_EXISTS', message: 'email: a user has this email address already' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('email: must be an email address');
    expect(await invitations('erin@example.com')).toEqual([]);
    expect(smtp.messages.filter((m) => /erin|frank/i.test(m.to.join()))).toEqual([]);
  });
});

describe('jwt-oidc config and usage errors', () => {
  it('prints the effective settings with secrets redacted and their sources', async () => {
    const res = await runCli(['config', '--json'], { env: { ...env, JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_SIGNATURE_ALG: 'RS256' } });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.settings.signatureAlg).toEqual({ env: 'JWT_OIDC_SIGNATURE_ALG', value: 'RS256', source: 'env' });
    expect(out.settings.keyEncryptionSecret.value).toEqual(['[redacted]']);
    expect(out.settings.databaseUrl.value).toMatch(/^postgres(ql)?:\/\/postgres:\[redacted\]@127\.0\.0\.1:\d+\//);
    expect(res.stdout).not.toContain('k'.repeat(40));
  });

  it('exits 2 naming the variable on a bad setting, for any command', async () => {
    const commands = [['serve'], [], ['users', 'list']];
    const results = await Promise.all(commands.map((args) => runCli(args, { env: { ...env, JWT_OIDC_SIGNATURE_ALG: 'HS999' } })));
    for (const res of results) {
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('JWT_OIDC_SIGNATURE_ALG: expected one of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA; got "HS999"');
    }
  });
});

/** A usage error: exit 2, nothing on stdout, and on stderr one line and the pointer to --help. */
function expectUsageError(res: CliResult, line: string, help: string): void {
  expect(res.code, res.stderr).toBe(2);
  expect(res.stdout).toBe('');
  expect(res.stderr).toBe(`jwt-oidc: ${line}\nsee '${help}'\n`);
}

/** `expectUsageError` for each command line, run at once: none of them changes anything. */
async function expectUsageErrors(cases: [args: string[], line: string, help: string][]): Promise<void> {
  const results = await Promise.all(cases.map(([args]) => runCli(args, { env })));
  cases.forEach(([, line, help], i) => expectUsageError(results[i]!, line, help));
}

describe('users create: how the user signs in', () => {
  it('refuses a user with no way to sign in (exit 2, nothing created), also as JSON', async () => {
    const [res, json, both] = await Promise.all([
      runCli(['users', 'create', '--username', 'Bob'], { env }),
      runCli(['users', 'create', '--username', 'bob', '--email', 'bob@example.com', '--json'], { env }),
      runCli(['users', 'create', '--username', 'bob', '--no-password', '--password-stdin'], { env, input: 'long enough password\n' }),
    ]);
    expectUsageError(res, 'users create: choose how bob signs in: --password-stdin, or --no-password (delegated login only)', 'jwt-oidc users create --help');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'ERR_USAGE', message: 'users create: choose how bob signs in: --password-stdin, or --no-password (delegated login only)' },
    });
    expectUsageError(both, 'users create: give either --password-stdin or --no-password, not both', 'jwt-oidc users create --help');
    expect(await row('bob')).toBeUndefined();
  });

  it('--no-password creates a user without one and says how to set it', async () => {
    const res = await runCli(['users', 'create', '--username', 'delegated', '--no-password'], { env });
    expect(res.code, res.stderr).toBe(0);
    const [created, note, ...rest] = res.stdout.split('\n');
    expect(created).toMatch(/^created user delegated \([0-9a-f-]{36}\)$/);
    expect(note).toBe('delegated cannot sign in with a password until one is set: jwt-oidc users set-password --username delegated --password-stdin');
    expect(rest).toEqual(['']);
    expect((await row('delegated'))!.password_hash).toBeNull();
    const json = await runCli(['users', 'create', '--username', 'delegated-2', '--no-password', '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ username: 'delegated-2', hasPassword: false });
  });

  it('set-password without a new password or --clear is a usage error', async () => {
    const res = await runCli(['users', 'set-password', '--username', 'delegated'], { env });
    expectUsageError(res, 'users set-password: give the new password (--password-stdin) or --clear', 'jwt-oidc users set-password --help');
  });
});

describe('usage errors are one line', () => {
  it('an unknown command names the nearest one, not "too many arguments for \'serve\'"', async () => {
    await expectUsageErrors([
      [['userz', 'list'], "unknown command 'userz' (did you mean 'users'?)", 'jwt-oidc --help'],
      [['frobnicate'], "unknown command 'frobnicate'", 'jwt-oidc --help'],
      [['users', 'lst'], "users: unknown command 'lst' (did you mean 'list'?)", 'jwt-oidc users --help'],
      [['clients', 'rotate-secrte', '--id', 'x'], "clients: unknown command 'rotate-secrte' (did you mean 'rotate-secret'?)", 'jwt-oidc clients --help'],
      [['users'], 'users: missing command: one of create, delete, factors, invite, list, remove-factor, reset-mfa, set-password', 'jwt-oidc users --help'],
      [['resources'], 'resources: missing command: one of create, delete, list, update', 'jwt-oidc resources --help'],
      [['resources', 'lst'], "resources: unknown command 'lst' (did you mean 'list'?)", 'jwt-oidc resources --help'],
    ]);
  });

  it('an unknown option, with the nearest known one', async () => {
    await expectUsageErrors([
      [['users', 'list', '--colour'], "users list: unknown option '--colour'", 'jwt-oidc users list --help'],
      [['users', 'list', '--serch', 'x'], "users list: unknown option '--serch' (did you mean '--search'?)", 'jwt-oidc users list --help'],
      [['keys', 'rotate', '--nwo'], "keys rotate: unknown option '--nwo' (did you mean '--now'?)", 'jwt-oidc keys rotate --help'],
      [['--confg', 'x.json'], "unknown option '--confg' (did you mean '--config'?)", 'jwt-oidc --help'],
    ]);
  });

  it('a missing option, a missing value, an extra argument', async () => {
    const [json] = await Promise.all([
      runCli(['users', 'list', '--colour', '--json'], { env }),
      expectUsageErrors([
        [['users', 'delete'], "users delete: required option '--username <name>' not specified", 'jwt-oidc users delete --help'],
        [['users', 'create', '--username'], "users create: option '--username <name>' argument missing", 'jwt-oidc users create --help'],
        [['users', 'list', 'everyone'], "users list: unexpected argument 'everyone'", 'jwt-oidc users list --help'],
        [['users', 'remove-factor', '--username', 'alice'], "users remove-factor: required option '--id <factorId>' not specified", 'jwt-oidc users remove-factor --help'],
        [['resources', 'delete'], "resources delete: required option '--id <uri>' not specified", 'jwt-oidc resources delete --help'],
      ]),
    ]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'ERR_USAGE', message: "users list: unknown option '--colour'" } });
  });

  it('the usage is on --help (stdout, exit 0), and never after an error', async () => {
    const [help, create, users, viaHelp, wrong] = await Promise.all(
      [['--help'], ['users', 'create', '--help'], ['users', '--help'], ['help', 'users'], ['users', 'create', '--usernam', 'x']].map((args) => runCli(args, { env })),
    );
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: jwt-oidc \[options\] \[command\]/);
    expect(help.stdout).toMatch(/clients[\s\S]*config[\s\S]*keys[\s\S]*migrate[\s\S]*resources[\s\S]*serve[\s\S]*users/);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/--password-stdin[\s\S]*--no-password/);
    expect(users.code).toBe(0);
    expect(users.stdout).toMatch(/create[\s\S]*invite[\s\S]*list[\s\S]*set-password/);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('Usage: jwt-oidc users');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).not.toContain('Usage:');
    expect(wrong.stderr.trim().split('\n')).toHaveLength(2);
  });
});

describe('jwt-oidc without a command', () => {
  it('serves, and `config` says where the generated key encryption secret is, never what it is', async () => {
    const own = { ...env, JWT_OIDC_DATA_DIR: mkdtempSync(join(tmpdir(), 'jwt-oidc-cli-default-')) };
    const secretFile = join(own.JWT_OIDC_DATA_DIR, 'key-encryption-secret');
    const before = await runCli(['config'], { env: own });
    expect(before.stdout).toMatch(new RegExp(`^JWT_OIDC_KEY_ENCRYPTION_SECRET +generated into ${escape(secretFile)} at the first start$`, 'm'));

    const server = spawnCli([], { ...own, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    server.stdin!.end();
    const exit = finished(server);
    const url = await listening(server);
    expect(url, server.output()).toBeDefined();
    expect((await fetch(`${url}/.well-known/openid-configuration`)).status).toBe(200);
    server.kill('SIGTERM');
    expect((await exit).code, server.output()).toBe(0);

    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const [after, json] = await Promise.all([runCli(['config'], { env: own }), runCli(['config', '--json'], { env: own })]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(new RegExp(`^JWT_OIDC_KEY_ENCRYPTION_SECRET +generated, in ${escape(secretFile)}$`, 'm'));
    expect(after.stdout).not.toContain('(unset)  ');
    expect(JSON.parse(json.stdout).settings.keyEncryptionSecret).toEqual({
      env: 'JWT_OIDC_KEY_ENCRYPTION_SECRET',
      value: null,
      source: 'default',
      generated: { path: secretFile, exists: true },
    });
    for (const out of [after.stdout, json.stdout]) expect(out).not.toContain(secret);
  });

  it('a secret that is set is not reported as generated', async () => {
    const res = await runCli(['config'], { env: { ...env, JWT_OIDC_KEY_ENCRYPTION_SECRET: 's'.repeat(40) } });
    expect(res.stdout).toMatch(/^JWT_OIDC_KEY_ENCRYPTION_SECRET +\["\[redacted\]"\]  \[env\]$/m);
    expect(res.stdout).not.toContain('s'.repeat(40));
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The URL of the "listening" log line (JSON: the output is no terminal), once it is there. */
async function listening(child: ReturnType<typeof spawnCli>): Promise<string | undefined> {
  const until = Date.now() + 30_000;
  while (Date.now() < until && child.exitCode === null) {
    for (const line of child.output().split('\n')) {
      const entry = (() => {
        try {
          return JSON.parse(line) as { msg?: string; url?: string };
        } catch {
          return undefined;
        }
      })();
      if (entry?.msg?.endsWith('listening') && entry.url) return entry.url;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}
