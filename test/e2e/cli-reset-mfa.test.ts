/**
 * `jwt-oidc users reset-mfa`, `users factors` and `users remove-factor` (src/cli/users.ts), the
 * real commands against a test database: a user's second factors and recovery codes are listed
 * and removed through the same functions as the `resetUserFactors`, `User.factors` and
 * `removeUserFactor` GraphQL fields (src/users/factors.ts); an unknown user or factor is exit 1;
 * what changes is kept in `audit_events` with the actor `cli`, as the console's audit page reads it.
 */
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { testDatabase } from '../support/database.js';

let env: Record<string, string>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  env = { DATABASE_URL: db.url, JWT_OIDC_DATA_DIR: mkdtempSync(join(tmpdir(), 'jwt-oidc-cli-mfa-')) };
});
afterAll(() => drop?.());

async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('jwt-oidc users reset-mfa', () => {
  it('removes every factor and recovery code of the user, and only theirs; an unknown user is exit 1', async () => {
    for (const name of ['lost-phone', 'other']) {
      const created = await runCli(['users', 'create', '--username', name, '--no-password', '--json'], { env });
      expect(created.code, created.stderr).toBe(0);
      const { id } = JSON.parse(created.stdout) as { id: string };
      await query("insert into user_factors (id, user_id, kind, name, created_at, confirmed_at, secret) values ($1, $2, 'totp', 'Phone', now(), now(), 'v1.x.y.z.w')", [randomUUID(), id]);
      await query('insert into recovery_codes (digest, user_id, created_at) values ($1, $2, now())', [`${name}-digest`, id]);
    }
    const reset = await runCli(['users', 'reset-mfa', '--username', 'LOST-PHONE', '--json'], { env });
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ username: 'lost-phone', removedFactors: 1 });
    const left = await query<{ username: string }>('select u.username from user_factors f join users u on u.id = f.user_id');
    expect(left).toEqual([{ username: 'other' }]);
    expect(await query('select digest from recovery_codes')).toEqual([{ digest: 'other-digest' }]);

    const text = await runCli(['users', 'reset-mfa', '--username', 'lost-phone'], { env });
    expect(text.stdout.trim()).toBe('removed 0 second factors of lost-phone');
    const unknown = await runCli(['users', 'reset-mfa', '--username', 'nobody', '--json'], { env });
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: 'ERR_USER_NOT_FOUND', message: 'no user named "nobody"' } });

    // Audited as the GraphQL reset is, with the command line as the actor.
    const [lost] = await query<{ id: string }>("select id from users where username = 'lost-phone'");
    const events = await query<{ event: string; outcome: string; actor: string; details: Record<string, unknown> }>("select event, outcome, actor, details from audit_events where event = 'mfa.reset' order by time");
    expect(events).toEqual([
      { event: 'mfa.reset', outcome: 'success', actor: 'cli', details: expect.objectContaining({ user: lost!.id, removed: 1 }) },
      { event: 'mfa.reset', outcome: 'success', actor: 'cli', details: expect.objectContaining({ user: lost!.id, removed: 0 }) },
    ]);
  }, 120_000);
});

describe('jwt-oidc users factors and remove-factor', () => {
  it('lists a user\'s factors ("never" used) and recovery codes left; removes one, then the last with the codes; audited; unknown ids are exit 1', async () => {
    const created = await runCli(['users', 'create', '--username', 'two-phones', '--no-password', '--json'], { env });
    const { id: userId } = JSON.parse(created.stdout) as { id: string };
    const [phone, tablet] = [randomUUID(), randomUUID()];
    await query("insert into user_factors (id, user_id, kind, name, created_at, confirmed_at, last_used_at, secret) values ($1, $2, 'totp', 'Phone', '2030-01-01T00:00:00Z', now(), '2030-01-02T00:00:00Z', 'v1.x.y.z.w'), ($3, $2, 'passkey', 'Laptop', '2030-01-03T00:00:00Z', now(), null, null)", [phone, userId, tablet]);
    // A pending enrolment is not a factor yet.
    await query("insert into user_factors (id, user_id, kind, name, created_at, secret) values ($1, $2, 'totp', 'Authenticator app', now(), 'v1.x.y.z.w')", [randomUUID(), userId]);
    for (const n of [1, 2, 3]) await query('insert into recovery_codes (digest, user_id, created_at, used_at) values ($1, $2, now(), $3)', [`two-phones-${n}`, userId, n === 1 ? new Date() : null]);

    const listed = await runCli(['users', 'factors', '--username', 'Two-Phones', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({
      username: 'two-phones',
      factors: [
        { id: phone, kind: 'totp', name: 'Phone', createdAt: '2030-01-01T00:00:00.000Z', lastUsedAt: '2030-01-02T00:00:00.000Z' },
        { id: tablet, kind: 'passkey', name: 'Laptop', createdAt: '2030-01-03T00:00:00.000Z', lastUsedAt: null },
      ],
      recoveryCodesLeft: 2,
    });
    const text = await runCli(['users', 'factors', '--username', 'two-phones'], { env });
    expect(text.stdout.trim().split('\n')).toEqual([
      `totp     Phone   added 2030-01-01T00:00:00.000Z  last used 2030-01-02T00:00:00.000Z  ${phone}`,
      `passkey  Laptop  added 2030-01-03T00:00:00.000Z  last used never                     ${tablet}`,
      '2 recovery codes left',
    ]);

    const foreign = await runCli(['users', 'remove-factor', '--username', 'other', '--id', phone, '--json'], { env });
    expect(foreign.code).toBe(1);
    expect(JSON.parse(foreign.stdout)).toEqual({ error: { code: 'ERR_USER_NOT_FOUND', message: 'factor not found' } });
    expect((await runCli(['users', 'remove-factor', '--username', 'two-phones', '--id', 'not-an-id'], { env })).code).toBe(1);
    expect((await runCli(['users', 'remove-factor', '--username', 'nobody', '--id', phone], { env })).code).toBe(1);

    const removed = await runCli(['users', 'remove-factor', '--username', 'two-phones', '--id', phone, '--json'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ username: 'two-phones', removed: { id: phone, kind: 'totp' } });
    expect(await query('select digest from recovery_codes where user_id = $1 and used_at is null order by digest', [userId])).toHaveLength(2);
    const last = await runCli(['users', 'remove-factor', '--username', 'two-phones', '--id', tablet], { env });
    expect(last.stdout.trim()).toBe(`removed the passkey factor ${tablet} of two-phones`);
    expect(await query('select digest from recovery_codes where user_id = $1', [userId])).toEqual([]);
    expect((await runCli(['users', 'factors', '--username', 'two-phones'], { env })).stdout.trim()).toBe('two-phones has no second factor');

    const events = await query<{ actor: string; details: Record<string, unknown> }>("select actor, details from audit_events where event = 'mfa.removed' order by time");
    expect(events.map((e) => [e.actor, e.details.user, e.details.kind, e.details.factor])).toEqual([
      ['cli', userId, 'totp', phone],
      ['cli', userId, 'passkey', tablet],
    ]);
  }, 180_000);
});
