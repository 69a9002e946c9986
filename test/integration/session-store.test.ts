/**
 * Contract of the provider's login-session store (src/provider/stores/session-store.ts) against a
 * real PostgreSQL — not the relying party's session stores of @jwt-oidc/express, which
 * session-stores.test.ts covers. A session is found only by its cookie's value, never by what the
 * table holds; it lives until the instant of its expiry on the injected clock; it belongs to an
 * active user; it keeps the browser and address it started from; and ending it (by sid, by its
 * digest, by cookie, by its user and sid) ends exactly that one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { SessionStore } from '../../src/provider/stores/session-store.js';
import { query } from '../support/database.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const clock = new ManualClock(Date.parse('2026-12-03T10:00:00Z'));
let p: TestProvider;
let sessions: SessionStore;
beforeAll(async () => {
  p = await startProvider({}, { clock });
  sessions = p.provider!.sessions;
});
afterAll(() => p?.close());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
const burst = <T>(n: number, job: () => Promise<T>) => Promise.all(Array.from({ length: n }, job));

/** Sets a user's `active` flag behind the service's back, so that the session row stays (the service would end it). */
const setActive = (userId: string, active: boolean) => query(p.databaseUrl, 'update users set active = $2 where id = $1', [userId, active]);

/** A user whose id is not a UUID: the fake mode's subjects are any string of up to 255 characters. */
async function userWithId(id: string): Promise<string> {
  await query(p.databaseUrl, 'insert into users (id, username) values ($1, $2)', [id, `u-${randomBytes(6).toString('hex')}`]);
  return id;
}

describe('SessionStore', () => {
  it('create stores a fresh session and find reads every field back by its cookie', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await sessions.create(user.id, HOUR, ['pwd', 'otp']);
    // 256 random bits in the cookie, only their digest in the table (docs/SECURITY.md SE-01).
    expect(cookieValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toEqual({ idHash: sha256(cookieValue), sid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), userId: user.id, authTime: clock.now(), amr: ['pwd', 'otp'], expiresAt: clock.now() + HOUR, userAgent: null, ip: null });
    const found = await sessions.find(cookieValue);
    expect(found).toEqual({ ...session, createdAt: expect.any(Number) });

    // amr defaults to a password login; every session gets its own cookie value and sid.
    const other = await sessions.create(user.id, HOUR);
    expect(other.session.amr).toEqual(['pwd']);
    expect((await sessions.find(other.cookieValue))?.amr).toEqual(['pwd']);
    expect(other.cookieValue).not.toBe(cookieValue);
    expect(other.session.sid).not.toBe(session.sid);
  });

  it('stamps createdAt with the store’s clock at the moment it is stored', async () => {
    const user = await p.createUser();
    clock.advance(MINUTE);
    const { cookieValue } = await sessions.create(user.id, HOUR);
    // Every other time of the session comes from the injected clock: so must "when it was stored",
    // which the administration shows next to auth_time and by which listOfUser orders.
    expect((await sessions.find(cookieValue))?.createdAt).toBe(clock.now());
    expect((await sessions.listOfUser(user.id))[0]?.createdAt).toBe(clock.now());
  });

  it('mint stores nothing; save stores exactly what was minted, even later; saving it twice is refused and keeps the first', async () => {
    const user = await p.createUser();
    const minted = sessions.mint(user.id, 10 * MINUTE, ['hwk']);
    expect(minted.session).toEqual({ idHash: sha256(minted.cookieValue), sid: expect.any(String), userId: user.id, authTime: clock.now(), amr: ['hwk'], expiresAt: clock.now() + 10 * MINUTE, userAgent: null, ip: null });
    expect(minted.session.createdAt).toBeUndefined();
    expect(await sessions.find(minted.cookieValue)).toBeUndefined();
    expect(await sessions.listOfUser(user.id)).toEqual([]);

    // The login's time stays the one minted, whatever time the save happens at.
    clock.advance(SECOND);
    await sessions.save(minted.session);
    const found = await sessions.find(minted.cookieValue);
    expect(found).toMatchObject({ ...minted.session, authTime: clock.now() - SECOND, expiresAt: clock.now() - SECOND + 10 * MINUTE });

    await expect(sessions.save({ ...minted.session, amr: ['pwd'], expiresAt: clock.now() + HOUR })).rejects.toThrow();
    expect(await sessions.find(minted.cookieValue)).toEqual(found);
    expect(await sessions.listOfUser(user.id)).toHaveLength(1);
  });

  it('lives until the instant of its expiry, not 1 ms longer, for find and listOfUser alike', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await sessions.create(user.id, 5 * MINUTE);
    clock.set(session.expiresAt - 1);
    expect(await sessions.find(cookieValue)).toBeDefined();
    expect((await sessions.listOfUser(user.id)).map((s) => s.sid)).toEqual([session.sid]);
    clock.set(session.expiresAt);
    expect(await sessions.find(cookieValue)).toBeUndefined();
    expect(await sessions.listOfUser(user.id)).toEqual([]);
  });

  it('find answers nothing without the exact cookie value, and nothing for an inactive user until they are active again', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await sessions.create(user.id, HOUR);
    for (const wrong of [undefined, '', session.idHash, cookieValue.slice(0, -1), `${cookieValue} `, randomBytes(32).toString('base64url'), 'x'.repeat(129)]) {
      expect(await sessions.find(wrong)).toBeUndefined();
    }
    await setActive(user.id, false);
    expect(await sessions.find(cookieValue)).toBeUndefined();
    await setActive(user.id, true);
    expect((await sessions.find(cookieValue))?.sid).toBe(session.sid);
  });

  it('keeps a user id of 255 characters (a fake-mode subject) exactly, and lists by it', async () => {
    const userId = await userWithId(`'%_"\\`.padEnd(255, 'z'));
    const { cookieValue, session } = await sessions.create(userId, HOUR);
    expect((await sessions.find(cookieValue))?.userId).toBe(userId);
    expect((await sessions.listOfUser(userId)).map((s) => s.sid)).toEqual([session.sid]);
    expect(await sessions.listOfUser(userId.slice(0, 254))).toEqual([]);
  });

  it('listOfUser gives only this user’s live sessions, newest first, each as find reads it', async () => {
    const [user, other] = [await p.createUser(), await p.createUser()];
    const made = [];
    for (const ttl of [HOUR, 2 * MINUTE, HOUR]) {
      made.push(await sessions.create(user.id, ttl));
      clock.advance(SECOND);
    }
    await sessions.create(other.id, HOUR);
    clock.advance(2 * MINUTE); // the second one has expired
    const listed = await sessions.listOfUser(user.id);
    expect(listed.map((s) => s.sid)).toEqual([made[2]!.session.sid, made[0]!.session.sid]);
    expect(listed[0]).toEqual(await sessions.find(made[2]!.cookieValue));
    expect(listed[1]).toEqual(await sessions.find(made[0]!.cookieValue));
    expect(await sessions.listOfUser(`' or '1'='1`)).toEqual([]);
  });

  it('endBySid ends exactly that session, says so once, and leaves the grants made in it', async () => {
    const user = await p.createUser();
    const client = await p.createClient();
    const [first, second] = [await sessions.create(user.id, HOUR), await sessions.create(user.id, HOUR)];
    const grantId = await p.provider!.grants.create({ clientId: client.clientId, userId: user.id, scope: 'openid', authTime: clock.now(), sid: first.session.sid, nonce: null }, HOUR);

    expect(await sessions.endBySid(first.session.sid)).toBe(true);
    expect(await sessions.find(first.cookieValue)).toBeUndefined();
    expect((await sessions.find(second.cookieValue))?.sid).toBe(second.session.sid);
    expect(await sessions.endBySid(first.session.sid)).toBe(false);
    expect(await sessions.endBySid('no-such-sid')).toBe(false);
    expect(await sessions.endBySid(second.session.sid.slice(0, -1))).toBe(false); // exact match only
    // The browser must log in again; the applications' grants end only by logout or revocation.
    expect(await p.provider!.grants.isActive(grantId)).toBe(true);
  });

  it('keeps the device it started from as the table holds it (a User-Agent of 255 characters, no control characters) and reads it back', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await sessions.create(user.id, HOUR, ['pwd'], { userAgent: 'Agent/1.0', ip: '2001:db8::7' });
    expect(session).toMatchObject({ userAgent: 'Agent/1.0', ip: '2001:db8::7' });
    expect(await sessions.find(cookieValue)).toMatchObject({ userAgent: 'Agent/1.0', ip: '2001:db8::7' });
    // What a caller hands in unbounded is bounded on the way to the table.
    const minted = sessions.mint(user.id, HOUR, ['pwd'], { userAgent: `A\u0000${'b'.repeat(400)}`, ip: ` ${'1'.repeat(80)}` });
    await sessions.save(minted.session);
    expect(await sessions.find(minted.cookieValue)).toMatchObject({ userAgent: `A${'b'.repeat(254)}`, ip: '1'.repeat(64) });
  });

  it('endOfUser ends that user\'s session only: another user\'s sid, an unknown one or an overlong one end nothing', async () => {
    const [user, other] = [await p.createUser(), await p.createUser()];
    const mine = await sessions.create(user.id, HOUR);
    const theirs = await sessions.create(other.id, HOUR);
    expect(await sessions.endOfUser(user.id, theirs.session.sid)).toBe(false);
    expect(await sessions.endOfUser(user.id, 'no-such-sid')).toBe(false);
    expect(await sessions.endOfUser(user.id, 'x'.repeat(65))).toBe(false);
    expect(await sessions.find(theirs.cookieValue)).toBeDefined();
    expect(await sessions.endOfUser(user.id, mine.session.sid)).toBe(true);
    expect(await sessions.find(mine.cookieValue)).toBeUndefined();
    expect(await sessions.endOfUser(user.id, mine.session.sid)).toBe(false);
  });

  it('of 20 parallel endBySid calls for one session exactly one reports ending it', async () => {
    const user = await p.createUser();
    const { cookieValue, session } = await sessions.create(user.id, HOUR);
    const ended = await burst(20, () => sessions.endBySid(session.sid));
    expect(ended.filter(Boolean)).toHaveLength(1);
    expect(await sessions.find(cookieValue)).toBeUndefined();
  });

  it('delete (by digest) and deleteByCookie (by value) each end exactly one session; anything else ends none', async () => {
    const user = await p.createUser();
    const [a, b, c] = [await sessions.create(user.id, HOUR), await sessions.create(user.id, HOUR), await sessions.create(user.id, HOUR)];

    await sessions.delete(a.session.idHash);
    expect(await sessions.find(a.cookieValue)).toBeUndefined();
    await sessions.delete(a.session.idHash); // already gone: no error
    await sessions.delete(b.cookieValue); // a cookie value is not a digest
    expect(await sessions.find(b.cookieValue)).toBeDefined();

    // The table's digest is not a cookie: presenting it ends nothing (the table cannot be replayed).
    for (const wrong of [undefined, '', b.session.idHash, 'x'.repeat(129), randomBytes(32).toString('base64url')]) await sessions.deleteByCookie(wrong);
    expect(await sessions.find(b.cookieValue)).toBeDefined();
    await sessions.deleteByCookie(b.cookieValue);
    expect(await sessions.find(b.cookieValue)).toBeUndefined();

    expect((await sessions.listOfUser(user.id)).map((s) => s.sid)).toEqual([c.session.sid]);
  });
});
