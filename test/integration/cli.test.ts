/** The real `jwt-oidc` command against a test database (`DATABASE_URL`). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/users/password.js';
import { runCli } from '../support/cli.js';
import { testDatabase } from '../support/database.js';

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
    const dup = await runCli(['users', 'create', '--username', 'ALICE', '--json'], { env });
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.stdout)).toEqual({ error: { code: 'ERR_USER_EXISTS', message: 'a user named "alice" already exists' } });
    const bad = await runCli(['users', 'create', '--username', 'bob', '--email', 'not-an-email'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('jwt-oidc: email: must be an email address');
    const both = await runCli(['users', 'create', '--username', 'bob', '--password', 'x'.repeat(10), '--password-stdin'], { env, input: 'y' });
    expect(both.code).toBe(2);
    expect(await row('bob')).toBeUndefined();
  });

  it('creates an admin and lists users', async () => {
    const created = await runCli(['users', 'create', '--username', 'root-admin', '--admin'], { env });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created user root-admin \([0-9a-f-]{36}\) with admin rights/);
    const list = await runCli(['users', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout).map((u: { username: string; admin: boolean }) => [u.username, u.admin])).toEqual([
      ['alice', false],
      ['root-admin', true],
    ]);
    const search = await runCli(['users', 'list', '--search', 'ALI', '--json'], { env });
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
    for (const args of [['serve'], ['users', 'list']]) {
      const res = await runCli(args, { env: { ...env, JWT_OIDC_SIGNATURE_ALG: 'HS999' } });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('JWT_OIDC_SIGNATURE_ALG: expected one of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA; got "HS999"');
    }
  });

  it('exits 2 on an unknown command or option, 0 on --help', async () => {
    expect((await runCli(['frobnicate'], { env })).code).toBe(2);
    expect((await runCli(['users', 'list', '--colour'], { env })).code).toBe(2);
    const help = await runCli(['users', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/create[\s\S]*delete[\s\S]*list[\s\S]*set-password/);
  });
});
