/**
 * The session stores of @jwt-oidc/express: the in-memory one that `oidcClient` falls back to
 * without a database (development only, and it says so), and `PostgresSessionStore`, whose `pg`
 * is an optional peer loaded on first use. Lifetimes are checked at their boundary with an
 * injected clock; locks with parallel bursts, for PostgreSQL across two store instances on one
 * database (two processes of one app).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore, oidcClient, PostgresSessionStore, type SessionStore } from '@jwt-oidc/express';
import { testDatabase } from '../support/database.js';
import type { ScratchDatabase } from '../../src/db/scratch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` holders at once, each reading the counter, yielding, then writing it + 1: a lock loses no update. */
async function burst(stores: SessionStore[], id: string, n: number): Promise<number> {
  await stores[0]!.set(id, { count: 0 }, Date.now() + 60_000);
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const store = stores[i % stores.length]!;
      return store.withLock!(id, async () => {
        const { count } = (await store.get(id)) as { count: number };
        await sleep(2);
        await store.set(id, { count: count + 1 }, Date.now() + 60_000);
      });
    }),
  );
  return ((await stores[0]!.get(id)) as { count: number }).count;
}

describe('MemorySessionStore', () => {
  it('warns once, when it is made, that sessions are lost at restart and not shared', () => {
    const warnings: string[] = [];
    new MemorySessionStore({ warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/in memory/);
    expect(warnings[0]).toMatch(/databaseUrl or a sessionStore in production/);
  });

  it('is what oidcClient uses without sessionStore or databaseUrl, and the warning reaches onWarning', async () => {
    const warnings: string[] = [];
    const router = oidcClient({ discoveryEndpoint: 'https://id.example', clientId: 'app', baseUrl: 'https://app.example', onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/sessions are kept in memory/)]);
    await router.close();
    const quiet: string[] = [];
    oidcClient({ discoveryEndpoint: 'https://id.example', clientId: 'app', baseUrl: 'https://app.example', sessionStore: new MemorySessionStore({ warn: () => undefined }), onWarning: (m) => quiet.push(m) });
    expect(quiet).toEqual([]); // a store of the app's own: nothing to warn about
  });

  it('keeps a session until its expiry instant, not one millisecond longer', async () => {
    let now = 1_000_000;
    const store = new MemorySessionStore({ warn: () => undefined, now: () => now });
    await store.set('a', { v: 1 }, now + 1000);
    now += 999;
    expect(await store.get('a')).toEqual({ v: 1 });
    now += 1;
    expect(await store.get('a')).toBeUndefined();
    await store.set('b', { v: 2 }, now + 10);
    await store.set('c', { v: 3 }, now + 20);
    now += 10;
    expect(store.prune()).toBe(1);
    expect(await store.get('c')).toEqual({ v: 3 });
  });

  it('hands out copies: changing what was read or written does not change the session', async () => {
    const store = new MemorySessionStore({ warn: () => undefined });
    const data = { login: { claims: { sub: 'a' } } };
    await store.set('x', data, Date.now() + 1000);
    data.login.claims.sub = 'mallory';
    const read = (await store.get('x')) as typeof data;
    expect(read.login.claims.sub).toBe('a');
    read.login.claims.sub = 'eve';
    expect(((await store.get('x')) as typeof data).login.claims.sub).toBe('a');
  });

  it('ends the sessions of a login at the provider (back-channel logout): by sid, or every one of a sub', async () => {
    const store = new MemorySessionStore({ warn: () => undefined });
    const at = (iss: string, sub: string, sid: string) => ({ login: { claims: { iss, sub, sid } } });
    const exp = Date.now() + 60_000;
    await store.set('1', at('https://op', 'alice', 's1'), exp);
    await store.set('2', at('https://op', 'alice', 's2'), exp);
    await store.set('3', at('https://op', 'bob', 's3'), exp);
    await store.set('4', at('https://other', 'alice', 's1'), exp);
    expect(await store.destroyByLogin({ iss: 'https://op', sid: 's1' })).toBe(1);
    expect(await store.get('1')).toBeUndefined();
    expect(await store.get('4')).toBeDefined(); // another issuer's session with the same sid
    expect(await store.destroyByLogin({ iss: 'https://op', sub: 'alice' })).toBe(1);
    expect(await store.get('3')).toBeDefined();
  });

  it('withLock: a burst of 50 read-modify-writes on one session loses none, and a failing holder releases the lock', async () => {
    const store = new MemorySessionStore({ warn: () => undefined });
    expect(await burst([store], 'n', 50)).toBe(50);
    await expect(store.withLock('n', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await store.withLock('n', async () => 'next')).toBe('next');
  });
});

describe('PostgresSessionStore', () => {
  let db: ScratchDatabase;
  let a: PostgresSessionStore;
  let b: PostgresSessionStore;
  beforeAll(async () => {
    db = await testDatabase();
    a = new PostgresSessionStore({ connectionString: db.url, table: 'rp_sessions_test' });
    b = new PostgresSessionStore({ connectionString: db.url, table: 'rp_sessions_test' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('makes its pool from pg on first use and its table when missing; one instance reads what the other wrote', async () => {
    await a.set('s', { v: 1 }, Date.now() + 60_000);
    expect(await b.get('s')).toEqual({ v: 1 });
    await b.destroy('s');
    expect(await a.get('s')).toBeUndefined();
  });

  it('withLock holds across two instances on one database: a burst of 40 read-modify-writes loses none', async () => {
    expect(await burst([a, b], 'counter', 40)).toBe(40);
  });

  it('refuses a table name that is not a plain identifier, and a store with no way to a database', () => {
    expect(() => new PostgresSessionStore({ connectionString: db.url, table: 'x; drop table users' })).toThrow(TypeError);
    expect(() => new PostgresSessionStore({})).toThrow(/pool or a connectionString/);
  });

  it('a database that cannot be reached fails the call, and the next call tries again', async () => {
    const down = new PostgresSessionStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(down.get('x')).rejects.toThrow();
    await expect(down.get('x')).rejects.toThrow();
    await down.close();
  });
});
