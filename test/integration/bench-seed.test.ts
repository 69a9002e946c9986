/**
 * The bench's data generator (bench/lib/seed.ts) against the real service: a seeded user signs in
 * with the seeded password through the login pages, a seeded refresh token is rotated by the
 * refresh grant (RFC 6749 §6) for its seeded client, the expired rows are exactly what the
 * housekeeping sweeps — so the generator cannot drift from the schema or the stored forms. A
 * second seeding refuses without `append`, and continues the numbering with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlreadySeededError, seed, SEED_CLIENT_SECRET, SEED_PASSWORD, SEED_SCOPE, seededClientId, seededRefreshToken, seededUsername, seededUserId, type SeedResult } from '../../bench/lib/seed.js';
import { query } from '../support/database.js';
import { login, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let p: TestProvider;
let seeded: SeedResult;
const count = async (sql: string) => (await query<{ n: number }>(p.databaseUrl, sql))[0]!.n;

beforeAll(async () => {
  p = await startProvider();
  seeded = await seed(p.databaseUrl, { users: 200, grants: 200, clients: 20, expired: 120, batch: 64 });
  await p.provider!.clients.reload(); // the NOTIFY the generator sends arrives asynchronously
});
afterAll(() => p?.close());

describe('bench data generator', () => {
  it('writes rows of each kind, with unique usernames and emails', async () => {
    expect(seeded.totals).toEqual({ users: 200, clients: 20, grants: 200 });
    expect(seeded.inserted).toMatchObject({ users: 200, clients: 20, grants: 200, refresh_tokens: 200, sessions: 200, consents: 200 });
    expect(await count(`select count(distinct username)::int as n from users where id like '5eed%'`)).toBe(200);
    expect(await count(`select count(distinct email)::int as n from users where id like '5eed%'`)).toBe(200);
    expect(await count(`select count(*)::int as n from users where username = '${seededUsername(7)}' and id = '${seededUserId(7)}'`)).toBe(1);
  });

  it('a seeded user signs in with the seeded password through the real pages', async () => {
    const client = seededClientId(1);
    const ok = await login(p, { clientId: client, redirectUri: 'https://app-1.example.com/callback', username: seededUsername(1), password: SEED_PASSWORD });
    expect(ok.location.searchParams.get('code'), ok.location.toString()).toBeTruthy();
  });

  it('a seeded refresh token is rotated by the refresh grant for its client, once', async () => {
    // Grant 5's client is client 5 (grants cycle over the 20 clients).
    const token = seededRefreshToken(seeded.salt, 5);
    const auth = { clientId: seededClientId(5), clientSecret: SEED_CLIENT_SECRET };
    const res = await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: token }, auth);
    const body = (await res.json()) as { refresh_token?: string; access_token?: string; scope?: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.refresh_token).toBeTruthy();
    expect(body.scope?.split(' ').sort()).toEqual(SEED_SCOPE.split(' ').sort());
    // Used up: the stored form was the digest the service itself looks up.
    expect((await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: token }, auth)).status).toBe(400);
    // Another client cannot use someone else's seeded token.
    expect((await tokenRequest(p, { grant_type: 'refresh_token', refresh_token: seededRefreshToken(seeded.salt, 6) }, { clientId: seededClientId(7), clientSecret: SEED_CLIENT_SECRET })).status).toBe(400);
  });

  it('refuses a second seeding without append, and continues the numbering with it', async () => {
    await expect(seed(p.databaseUrl, { users: 1 })).rejects.toBeInstanceOf(AlreadySeededError);
    const more = await seed(p.databaseUrl, { users: 10, grants: 10, append: true });
    expect(more.totals).toEqual({ users: 210, clients: 20, grants: 210 });
    expect(await count(`select count(*)::int as n from users where id = '${seededUserId(210)}'`)).toBe(1);
  });

  it('the expired rows are what housekeeping sweeps, and the live ones stay', async () => {
    const live = await count(`select count(*)::int as n from refresh_tokens where expires_at > now()`);
    const liveSessions = await count(`select count(*)::int as n from sessions where expires_at > now()`);
    const deleted = await p.housekeeping!.run();
    expect(deleted).toMatchObject({ authorization_codes: 20, refresh_tokens: 20, sessions: 20, interactions: 20, audit_events: 20, failure_events: 20 });
    expect(await count(`select count(*)::int as n from refresh_tokens`)).toBe(live);
    expect(await count(`select count(*)::int as n from sessions`)).toBe(liveSessions);
  });
});
