/**
 * The stores behind the GraphQL administration of grants and sessions (one way to each table):
 * what they list, in which order, what they end, against a real PostgreSQL and the injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.parse('2026-12-03T10:00:00Z'));
let p: TestProvider;
beforeAll(async () => {
  p = await startProvider({}, { clock });
});
afterAll(() => p?.close());

describe('GrantStore.list', () => {
  it('filters by user, client or both, newest first, at most `limit`, with revocation and times', async () => {
    const { grants } = p.provider!;
    const [alice, bob] = [await p.createUser(), await p.createUser()];
    const [a, b] = [await p.createClient(), await p.createClient()];
    const made: string[] = [];
    for (const [user, client] of [[alice, a], [alice, b], [bob, a]] as const) {
      made.push(await grants.create({ clientId: client.clientId, userId: user.id, scope: 'openid', authTime: clock.now(), sid: null, nonce: null }, 60_000));
      clock.advance(1000);
    }
    await grants.revoke(made[0]!);

    const ofAlice = await grants.list({ userId: alice.id }, 10);
    expect(ofAlice.map((g) => g.id)).toEqual([made[1], made[0]]);
    expect(ofAlice[1]!.revokedAt).toBe(clock.now());
    expect(ofAlice[0]!.createdAt).toBeGreaterThan(ofAlice[1]!.createdAt);
    expect((await grants.list({ clientId: a.clientId }, 10)).map((g) => g.id)).toEqual([made[2], made[0]]);
    expect((await grants.list({ userId: alice.id, clientId: b.clientId }, 10)).map((g) => g.id)).toEqual([made[1]]);
    expect(await grants.list({ userId: alice.id }, 1)).toHaveLength(1);
    await expect(grants.list({}, 10)).rejects.toThrow(/give a user, a client or both/);
  });
});

describe('SessionStore, for the administration', () => {
  it('lists a user’s live sessions newest first, and ends one by sid', async () => {
    const { sessions } = p.provider!;
    const user = await p.createUser();
    const first = await sessions.create(user.id, 60_000);
    clock.advance(1000);
    const second = await sessions.create(user.id, 3_000);
    expect((await sessions.listOfUser(user.id)).map((s) => s.sid)).toEqual([second.session.sid, first.session.sid]);
    clock.advance(3_000); // the second one's lifetime is over
    expect((await sessions.listOfUser(user.id)).map((s) => s.sid)).toEqual([first.session.sid]);
    expect(await sessions.endBySid(first.session.sid)).toBe(true);
    expect(await sessions.endBySid(first.session.sid)).toBe(false);
    expect(await sessions.find(first.cookieValue)).toBeUndefined();
  });
});
