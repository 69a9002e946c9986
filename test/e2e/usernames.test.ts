/**
 * Usernames that look alike (RC-12), through the real user service, login form and CLI on a
 * real database: mixed-script names and look-alikes of existing names are refused when chosen;
 * names stored under the earlier rules keep signing in. The mapping and checks themselves are in
 * test/unit/usernames.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/users/password.js';
import { UserError, UserService } from '../../src/users/user-service.js';
import { runCli } from '../support/cli.js';
import { query } from '../support/database.js';
import { login, PASSWORD, startProvider, type TestProvider } from '../support/provider.js';

let p: TestProvider;
let users: UserService;
beforeAll(async () => {
  p = await startProvider();
  users = new UserService(p.db.orm.em);
});
afterAll(() => p?.close());

/** The error `create` refuses `username` with. */
async function refusal(username: string): Promise<UserError> {
  const e = await users.create({ username }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `${JSON.stringify(username)} was created`).toBeInstanceOf(UserError);
  return e as UserError;
}

async function usernames(): Promise<string[]> {
  return (await query<{ username: string }>(p.databaseUrl, 'select username from users order by username')).map((r) => r.username);
}

/** A user as the earlier rules stored it, which the current ones would refuse. */
async function insertLegacyUser(username: string): Promise<void> {
  await query(p.databaseUrl, 'insert into users (id, username, password_hash) values (gen_random_uuid(), $1, $2)', [username, await hashPassword(PASSWORD)]);
}

describe('RC-12 choosing a username', () => {
  it('RC-12 refuses a name mixing Cyrillic and Latin letters ("аlice"), naming the field; nothing is written', async () => {
    const before = await usernames();
    const e = await refusal('аlice');
    expect(e).toMatchObject({ code: 'ERR_USER_INVALID', field: 'username', message: 'username: must not mix scripts (Cyrillic and Latin letters)' });
    expect(await usernames()).toEqual(before);
  });

  it('RC-12 refuses spaces, controls, emoji and over-long names', async () => {
    for (const [name, message] of [
      ['al ice', 'username: must not contain spaces'],
      ['ali\u0000ce', 'username: must not contain control characters (U+0000)'],
      ['alice😀', 'username: may contain letters, digits and . _ @ + - only'],
      ['a'.repeat(151), 'username: must be at most 150 characters'],
      ['Ａ'.repeat(100_000), 'username: must be at most 150 characters'],
    ] as const) {
      expect(await refusal(name)).toMatchObject({ code: 'ERR_USER_INVALID', field: 'username', message });
    }
  });

  it('RC-12 "ALİCE", "ａｌｉｃｅ" and "ALICE" are the existing "alice", not new accounts', async () => {
    const alice = await users.create({ username: 'alice' });
    for (const typed of ['ALİCE', 'ａｌｉｃｅ', 'ALICE']) {
      expect(await refusal(typed)).toMatchObject({ code: 'ERR_USER_EXISTS', field: 'username', message: 'a user named "alice" already exists' });
      expect((await users.findByUsername(typed))?.id).toBe(alice.id);
    }
  });

  it('RC-12 refuses an all-Cyrillic look-alike ("асе") of an existing Latin name, and the other way round', async () => {
    await users.create({ username: 'ace' });
    expect(await refusal('асе')).toMatchObject({ code: 'ERR_USER_EXISTS', field: 'username', message: 'username: looks the same as the existing user "ace"' });
    expect(await refusal('АСЕ')).toMatchObject({ code: 'ERR_USER_EXISTS', field: 'username' });
    // Created first, the Cyrillic name blocks its Latin twin.
    const cyrillic = await users.create({ username: 'рор' });
    expect(cyrillic.username).toBe('рор');
    expect(await refusal('pop')).toMatchObject({ code: 'ERR_USER_EXISTS', message: 'username: looks the same as the existing user "рор"' });
    // Greek, precomposed letters, and names whose other characters pin the candidates.
    await users.create({ username: 'cë.2024' });
    expect(await refusal('сё.2024')).toMatchObject({ code: 'ERR_USER_EXISTS' });
    await users.create({ username: 'opo_1' });
    expect(await refusal('ορο_1')).toMatchObject({ code: 'ERR_USER_EXISTS' });
    // Unrelated names stay free; so do names that only share a length.
    expect((await users.create({ username: 'ορο_2' })).username).toBe('ορο_2');
    expect((await users.create({ username: 'иван' })).username).toBe('иван');
    expect((await users.create({ username: 'αλέξης' })).username).toBe('αλέξης');
  });

  it('RC-12 two look-alikes created at the same moment: exactly one is created', async () => {
    for (let round = 0; round < 5; round++) {
      // Cyrillic, Latin and Greek spellings of one skeleton ("pop-N").
      const outcomes = await Promise.allSettled(['рор', 'pop', 'ρορ'].map((name) => users.create({ username: `${name}-${round}` })));
      expect(outcomes.filter((o) => o.status === 'fulfilled'), JSON.stringify(outcomes)).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'ERR_USER_EXISTS', field: 'username' });
    }
  });
});

describe('RC-12 names stored under the earlier rules', () => {
  it('RC-12 a mixed-script name stored before keeps signing in, typed in any case; it cannot be created again', async () => {
    await insertLegacyUser('pаypal'); // Cyrillic а, as the earlier rules allowed
    const client = await p.createClient();
    const { location } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: 'PАYPAL' });
    expect(location.searchParams.get('code'), location.toString()).toBeTruthy();
    expect((await users.findByUsername('PАYPAL'))?.username).toBe('pаypal');
    // Managed by name as before.
    await users.setPassword('pаypal', 'another long password');
    expect(await refusal('pаypal')).toMatchObject({ code: 'ERR_USER_INVALID', field: 'username' });
  });

  it('RC-12 a name stored before from fullwidth or capital input signs in with the same typing', async () => {
    await insertLegacyUser('grace.h');
    const client = await p.createClient();
    for (const typed of ['ＧＲＡＣＥ．Ｈ', 'Grace.H', ' grace.h ']) {
      const { location } = await login(p, { clientId: client.clientId, redirectUri: client.redirectUri, username: typed });
      expect(location.searchParams.get('code'), `${typed}: ${location}`).toBeTruthy();
    }
  });
});

describe('RC-12 jwt-oidc users create', () => {
  const env = () => ({ DATABASE_URL: p.databaseUrl, JWT_OIDC_DATA_DIR: mkdtempSync(join(tmpdir(), 'jwt-oidc-rc12-')) });

  it('RC-12 refuses a mixed-script name (exit 2) and a look-alike of an existing one (exit 1)', async () => {
    const [mixed, twin, turkish] = await Promise.all([
      runCli(['users', 'create', '--username', 'bоb', '--no-password'], { env: env() }),
      runCli(['users', 'create', '--username', 'АСЕ', '--json', '--no-password'], { env: env() }),
      runCli(['users', 'create', '--username', 'ALİCE', '--json', '--no-password'], { env: env() }),
    ]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim()).toBe('jwt-oidc: username: must not mix scripts (Latin and Cyrillic letters)');
    expect(twin.code).toBe(1);
    expect(JSON.parse(twin.stdout)).toEqual({ error: { code: 'ERR_USER_EXISTS', message: 'username: looks the same as the existing user "ace"' } });
    expect(JSON.parse(turkish.stdout)).toEqual({ error: { code: 'ERR_USER_EXISTS', message: 'a user named "alice" already exists' } });
    expect(await usernames()).not.toContain('bоb');
  });
});
