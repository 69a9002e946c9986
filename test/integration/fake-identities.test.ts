/**
 * The fake mode's identities in PostgreSQL (src/fake/identities.ts): a user whose id is the
 * subject, created once however many first sign-ins race, its claims replaced by the next
 * sign-in, the most recent first; and the seeded client brought in line with each start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hashSecret } from '../../src/clients/client-service.js';
import { seedFakeClient } from '../../src/fake/client.js';
import { recentIdentities, saveIdentity, touchIdentity } from '../../src/fake/identities.js';
import { query } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

let fake: TestServer;
let dir: string;
const clock = new ManualClock(Date.UTC(2026, 11, 3, 12));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-fake-identities-'));
  fake = await startTestServer({ JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'my-spa', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_DATA_DIR: dir }, { clock });
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (ms: number) => new Date(clock.now() + ms);

describe('fake identities', () => {
  it('of 20 parallel first sign-ins as one subject, one row results, with the claims of one of them', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => saveIdentity(fake.db.orm, { sub: 'burst', claims: { n: i } }, at(0))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const rows = await query<{ id: string; attributes: { claims: { n: number } } }>(fake.databaseUrl, 'select id, attributes from users where id = $1', ['burst']);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.attributes.claims.n).toBeGreaterThanOrEqual(0);
    expect(rows[0]!.attributes.claims.n).toBeLessThan(20);
  });

  it('a later sign-in replaces the claims (and the email column follows, when it fits)', async () => {
    await saveIdentity(fake.db.orm, { sub: 'eve', claims: { email: 'eve@example.com', email_verified: true, roles: ['a'] } }, at(1));
    await saveIdentity(fake.db.orm, { sub: 'eve', claims: { name: 'Eve', email: `${'x'.repeat(400)}@example.com` } }, at(2));
    const [row] = await query<{ email: string | null; email_verified: boolean; attributes: unknown; username: string }>(fake.databaseUrl, 'select email, email_verified, attributes, username from users where id = $1', ['eve']);
    expect(row).toEqual({ email: null, email_verified: false, attributes: { claims: { name: 'Eve', email: `${'x'.repeat(400)}@example.com` } }, username: 'eve' });
  });

  it('a subject too long for a username, or whose name another subject took, gets a digest as its username', async () => {
    const long = 's'.repeat(255);
    expect((await saveIdentity(fake.db.orm, { sub: long, claims: {} }, at(3))).username).toMatch(/^fake-[\w-]{22}$/);
    // A user named "taken" whose id is not "taken" (made by the CLI, say).
    await query(fake.databaseUrl, "insert into users (id, username, updated_at) values ('other-id', 'taken', '2000-01-01')");
    const taken = await saveIdentity(fake.db.orm, { sub: 'taken', claims: {} }, at(4));
    expect(taken.id).toBe('taken');
    expect(taken.username).toMatch(/^fake-/);
  });

  it('lists the most recent first; one click moves an identity up without changing it; a disabled one is gone', async () => {
    await saveIdentity(fake.db.orm, { sub: 'first', claims: { k: 1 } }, at(10));
    await saveIdentity(fake.db.orm, { sub: 'second', claims: { k: 2 } }, at(20));
    expect((await recentIdentities(fake.db.orm, 2)).map((i) => i.sub)).toEqual(['second', 'first']);
    const touched = await touchIdentity(fake.db.orm, 'first', at(30));
    expect(touched?.attributes).toEqual({ claims: { k: 1 } });
    expect(touched?.updatedAt.getTime()).toBe(at(30).getTime());
    expect((await recentIdentities(fake.db.orm, 2)).map((i) => i.sub)).toEqual(['first', 'second']);
    await query(fake.databaseUrl, "update users set active = false where id = 'first'");
    expect(await touchIdentity(fake.db.orm, 'first', at(40))).toBeNull();
    expect((await recentIdentities(fake.db.orm)).map((i) => i.sub)).not.toContain('first');
    expect(await touchIdentity(fake.db.orm, 'x'.repeat(256), at(40))).toBeNull();
    expect(await touchIdentity(fake.db.orm, 'nobody', at(40))).toBeNull();
  });
});

describe('the seeded client', () => {
  it('follows the settings of each start: a secret set, changed and removed; origins replaced', async () => {
    const row = async () => (await query<{ secret_hash: string | null; allowed_origins: string[]; first_party: boolean; response_types: string[] }>(fake.databaseUrl, "select secret_hash, allowed_origins, first_party, response_types from clients where id = 'my-spa'"))[0]!;
    expect(await row()).toMatchObject({ secret_hash: null, allowed_origins: [], first_party: true });
    expect((await row()).response_types).toHaveLength(6);
    await seedFakeClient(fake.db.orm, { clientId: 'my-spa', clientSecret: 'one', corsAllowedOrigins: ['http://localhost:5173'] });
    expect(await row()).toMatchObject({ secret_hash: hashSecret('one'), allowed_origins: ['http://localhost:5173'] });
    await seedFakeClient(fake.db.orm, { clientId: 'my-spa', clientSecret: undefined, corsAllowedOrigins: [] });
    expect(await row()).toMatchObject({ secret_hash: null, allowed_origins: [] });
    // Of two instances starting together, both succeed and one row stays.
    await Promise.all([seedFakeClient(fake.db.orm, { clientId: 'my-spa', clientSecret: 'two', corsAllowedOrigins: [] }), seedFakeClient(fake.db.orm, { clientId: 'my-spa', clientSecret: 'two', corsAllowedOrigins: [] })]);
    expect(await query(fake.databaseUrl, "select 1 from clients where id = 'my-spa'")).toHaveLength(1);
  });
});
