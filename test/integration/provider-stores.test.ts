/**
 * Contracts of the provider's interaction and consent stores against a real PostgreSQL: binding
 * to the browser (cookie) and to the form (CSRF token), lifetimes at their boundary with the
 * injected clock, and every check-then-act step under a parallel burst (exactly one winner).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { INTERACTION_TTL_MS } from '../../src/provider/stores/interaction-store.js';
import type { InteractionRequest } from '../../src/provider/stores/interaction-request.js';
import { query } from '../support/database.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.parse('2026-12-03T10:00:00Z'));
let p: TestProvider;
beforeAll(async () => {
  p = await startProvider({}, { clock });
});
afterAll(() => p?.close());

const LOGOUT: InteractionRequest = { kind: 'logout', clientId: null, postLogoutRedirectUri: null, state: 'st' };
const burst = <T>(n: number, job: () => Promise<T>) => Promise.all(Array.from({ length: n }, job));

describe('InteractionStore', () => {
  it('finds an interaction only with its browser’s cookie, and for forms its CSRF token; renewing the token retires the old one', async () => {
    const store = p.provider!.interactions;
    const { uid, cookieValue, csrfToken } = await store.create(LOGOUT, null);
    expect((await store.find(uid, cookieValue))?.request).toEqual(LOGOUT);
    expect(await store.find(uid, 'another browser')).toBeUndefined();
    expect(await store.find(uid, undefined)).toBeUndefined();
    expect(await store.find('not-a-uid', cookieValue)).toBeUndefined();
    expect(await store.find(uid, cookieValue, 'forged')).toBeUndefined();
    expect(await store.find(uid, cookieValue, csrfToken)).toBeDefined();
    const renewed = await store.renewCsrf(uid);
    expect(await store.find(uid, cookieValue, csrfToken)).toBeUndefined();
    expect(await store.find(uid, cookieValue, renewed)).toBeDefined();
  });

  it('reads its payload back checked: an authorization request as stored; a payload that is no interaction\'s is no interaction', async () => {
    const store = p.provider!.interactions;
    const parked: InteractionRequest = { clientId: 'c', redirectUri: 'https://rp.example/cb', redirectUriGiven: true, responseType: 'code', responseMode: 'query', scopes: ['openid'], prompt: [], state: 's', offerSelect: false };
    const one = await store.create(parked, null);
    expect((await store.find(one.uid, one.cookieValue))?.request).toEqual(parked);
    for (const payload of [{ foo: 1 }, { kind: 'logout', clientId: 7 }, { kind: 'other' }, { clientId: 'c', redirectUri: 'https://rp.example/cb', responseType: 'code', scopes: 'openid', prompt: [] }]) {
      const { uid, cookieValue } = await store.create(LOGOUT, null);
      await query(p.databaseUrl, 'update interactions set request = $1 where uid = $2', [JSON.stringify(payload), uid]);
      expect(await store.find(uid, cookieValue), JSON.stringify(payload)).toBeUndefined();
      expect(await store.byChallenge(uid), JSON.stringify(payload)).toBeUndefined();
    }
  });

  it('lives INTERACTION_TTL_MS: found 1 ms before, gone at the instant (by cookie and by challenge)', async () => {
    const store = p.provider!.interactions;
    const { uid, cookieValue } = await store.create(LOGOUT, null);
    clock.advance(INTERACTION_TTL_MS - 1);
    expect(await store.find(uid, cookieValue)).toBeDefined();
    expect(await store.byChallenge(uid)).toBeDefined();
    clock.advance(1);
    expect(await store.find(uid, cookieValue)).toBeUndefined();
    expect(await store.byChallenge(uid)).toBeUndefined();
    expect(await store.claimSession(uid, (await p.createUser()).id, clock.now(), 'h'.repeat(43), false)).toBe(false);
  });

  it('a parallel burst claims the session once, answers the challenge once, finishes once', async () => {
    const store = p.provider!.interactions;
    const user = await p.createUser();
    const first = await store.create(LOGOUT, null);
    const claims = await burst(10, () => store.claimSession(first.uid, user.id, clock.now(), 'h'.repeat(43), false));
    expect(claims.filter(Boolean)).toHaveLength(1);

    const second = await store.create(LOGOUT, null);
    const answers = await burst(10, () => store.answer(second.uid, { userId: user.id, authTime: clock.now(), login: { amr: ['pwd'] } }));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect((await store.byChallenge(second.uid))?.userId).toBe(user.id);
    // The delegated login's session starts once too.
    const started = await burst(10, () => store.claimSession(second.uid, user.id, clock.now(), 's'.repeat(43), true));
    expect(started.filter(Boolean)).toHaveLength(1);

    const finished = await burst(10, () => store.finish(second.uid));
    expect(finished.filter(Boolean)).toHaveLength(1);
    expect(await store.byChallenge(second.uid)).toBeUndefined();
  });
});

describe('ConsentStore', () => {
  it('merges what was granted, never narrows it, and parallel consents lose nothing', async () => {
    const store = p.provider!.consents;
    const user = await p.createUser();
    const client = await p.createClient();
    expect(await store.granted(user.id, client.clientId)).toEqual(new Set());
    await store.grant(user.id, client.clientId, ['openid', 'profile']);
    await store.grant(user.id, client.clientId, ['openid', 'email']);
    expect(await store.granted(user.id, client.clientId)).toEqual(new Set(['openid', 'profile', 'email']));
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((s) => store.grant(user.id, client.clientId, [`scope:${s}`])));
    expect([...(await store.granted(user.id, client.clientId))].sort()).toEqual(['email', 'openid', 'profile', 'scope:a', 'scope:b', 'scope:c', 'scope:d', 'scope:e', 'scope:f']);
  });

  it('listOfUser gives the user\'s consents with since-when (kept as they widen); forget forgets one, once, and no other', async () => {
    const store = p.provider!.consents;
    const [user, other] = [await p.createUser(), await p.createUser()];
    const [a, b] = [await p.createClient(), await p.createClient()];
    await store.grant(user.id, a.clientId, ['openid']);
    const [first] = await store.listOfUser(user.id);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await store.grant(user.id, a.clientId, ['email']);
    await store.grant(user.id, b.clientId, ['openid']);
    await store.grant(other.id, a.clientId, ['openid']);
    const listed = await store.listOfUser(user.id);
    expect(listed.map((c) => c.clientId).sort()).toEqual([a.clientId, b.clientId].sort());
    const widened = listed.find((c) => c.clientId === a.clientId)!;
    expect(widened).toEqual({ clientId: a.clientId, scopes: ['email', 'openid'], createdAt: first!.createdAt, updatedAt: expect.any(Number) });
    expect(widened.updatedAt).toBeGreaterThan(widened.createdAt);

    expect(await store.forget(user.id, a.clientId)).toBe(true);
    expect(await store.forget(user.id, a.clientId)).toBe(false);
    expect(await store.granted(user.id, a.clientId)).toEqual(new Set());
    expect(await store.granted(other.id, a.clientId)).toEqual(new Set(['openid']));
    expect((await store.listOfUser(user.id)).map((c) => c.clientId)).toEqual([b.clientId]);
  });
});
