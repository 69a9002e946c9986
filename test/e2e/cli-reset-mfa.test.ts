/**
 * `jwt-oidc users reset-mfa` (src/cli/users.ts), the real command against a test database: a
 * user's second factors and recovery codes are removed through the same service as the
 * `resetUserFactors` mutation (src/users/factors.ts resetFactors); an unknown user is exit 1.
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
  });
});
