/**
 * The bounded client registry (src/clients/client-registry.ts) of two instances on one database:
 * a change made on one is seen by the other at once (NOTIFY with the client's id), and a lost
 * listener connection forgets everything; concurrent misses of one id are one query; unknown
 * ids are remembered briefly and boundedly; entries live until their TTL on the injected clock;
 * CORS origins are answered by an indexed query and cached; and with 50 000 clients in the table
 * the registry holds no more than its cache size.
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientRegistry, notifyClientsChanged, type MetadataDocumentClients } from '../../src/clients/client-registry.js';
import { ClientService } from '../../src/clients/client-service.js';
import { ManualClock } from '../../src/clock.js';
import { ormConfig } from '../../src/db/orm-config.js';
import { createLogger } from '../../src/log.js';
import { migratedDatabase, query } from '../support/database.js';

const logger = createLogger({ level: 'silent' });
let url: string;
let drop: () => Promise<void>;
/** Instance A's and B's connections; B's queries to `clients` are counted. */
let ormA: MikroORM;
let ormB: MikroORM;
let readsB: string[] = [];
const clock = new ManualClock();
const started: ClientRegistry[] = [];

beforeAll(async () => {
  ({ url, drop } = await migratedDatabase());
  ormA = await MikroORM.init(ormConfig({ clientUrl: url }));
  ormB = await MikroORM.init(
    ormConfig({
      clientUrl: url,
      debug: true,
      log: (message) => {
        if (/from "?clients"?/i.test(message)) readsB.push(message);
      },
    }),
  );
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await ormA?.close(true);
  await ormB?.close(true);
  await drop?.();
});

async function registry(orm: MikroORM, options: { cacheSize?: number } = {}): Promise<ClientRegistry> {
  const r = new ClientRegistry({ orm, logger, listenUrl: url, clock, ...options });
  await r.start();
  started.push(r);
  return r;
}

/** Two instances; changes are made through A's client service, as the admin API and `/register` do. */
async function pair(options: { cacheSize?: number } = {}) {
  const [a, b] = await Promise.all([registry(ormA, options), registry(ormB, options)]);
  const service = new ClientService(ormA.em, (id) => a.changed(id));
  return { a, b, service };
}

let serial = 0;
const fresh = (tag: string) => `${tag}-${++serial}-${Date.now().toString(36)}`;

/** Polls `check` for up to two seconds: a notification arrives in milliseconds, the TTL (frozen clock) never. */
async function soon<T>(check: () => Promise<T>, expected: T): Promise<void> {
  for (let i = 0; i < 40 && (await check()) !== expected; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await check()).toBe(expected);
}

describe('client registry', () => {
  it('sees a client created, changed and deleted on another instance at once (NOTIFY with its id)', async () => {
    const { b, service } = await pair();
    const id = fresh('notified');
    // B remembers the id as unknown first: the creation must evict that too.
    expect(await b.get(id)).toBeUndefined();
    await service.create({ id, name: 'First name', redirectUris: ['https://rp.example/cb'] });
    await soon(async () => (await b.get(id))?.name, 'First name');
    await service.update(id, { name: 'Second name' });
    await soon(async () => (await b.get(id))?.name, 'Second name');
    await service.delete(id);
    await soon(async () => (await b.get(id)) === undefined, true);
  });

  it('evicts only the client named by a notice', async () => {
    const { b } = await pair();
    const [one, two] = [fresh('one'), fresh('two')];
    await query(url, `insert into clients (id, name, redirect_uris) values ($1, 'One', '[]'), ($2, 'Two', '[]')`, [one, two]);
    expect((await b.get(one))?.name).toBe('One');
    expect((await b.get(two))?.name).toBe('Two');
    // Changed behind the registries' backs, then a notice for `one` alone.
    await query(url, `update clients set name = name || ' changed' where id in ($1, $2)`, [one, two]);
    await notifyClientsChanged(ormA, one);
    await soon(async () => (await b.get(one))?.name, 'One changed');
    expect((await b.get(two))?.name).toBe('Two');
    // An empty payload: every client.
    await notifyClientsChanged(ormA);
    await soon(async () => (await b.get(two))?.name, 'Two changed');
  });

  it('forgets everything when its listener connection is lost (a notice may have been missed)', async () => {
    const { b } = await pair();
    const id = fresh('lost');
    await query(url, `insert into clients (id, name, redirect_uris) values ($1, 'Before', '[]')`, [id]);
    expect((await b.get(id))?.name).toBe('Before');
    await query(url, `update clients set name = 'After' where id = $1`, [id]);
    expect((await b.get(id))?.name).toBe('Before');
    // Every listener of the channel cut: each reconnects and forgets its cache.
    await query(url, `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'jwt-oidc listener jwt_oidc_clients' and datname = current_database()`);
    for (let i = 0; i < 100 && (await b.get(id))?.name !== 'After'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await b.get(id))?.name).toBe('After');
  });

  it('answers a burst of 20 concurrent gets of one uncached id with one query, for a known id and an unknown one', async () => {
    const { b } = await pair();
    const id = fresh('burst');
    await query(url, `insert into clients (id, name, redirect_uris) values ($1, 'Burst', '[]')`, [id]);
    readsB = [];
    const got = await Promise.all(Array.from({ length: 20 }, () => b.get(id)));
    expect(got.every((c) => c?.name === 'Burst')).toBe(true);
    expect(readsB).toHaveLength(1);
    // Hits afterwards: no query.
    await Promise.all(Array.from({ length: 20 }, () => b.get(id)));
    expect(readsB).toHaveLength(1);

    readsB = [];
    const unknown = fresh('nobody');
    const none = await Promise.all(Array.from({ length: 20 }, () => b.get(unknown)));
    expect(none.every((c) => c === undefined)).toBe(true);
    await b.get(unknown);
    expect(readsB).toHaveLength(1);
  });

  it('keeps a flood of unknown ids bounded by the cache size, answering undefined', async () => {
    const { b } = await pair({ cacheSize: 50 });
    const ids = Array.from({ length: 500 }, () => fresh('random'));
    readsB = [];
    for (let i = 0; i < ids.length; i += 50) {
      const got = await Promise.all(ids.slice(i, i + 50).map((id) => b.get(id)));
      expect(got.every((c) => c === undefined)).toBe(true);
      expect(b.cached().unknown).toBeLessThanOrEqual(50);
    }
    expect(readsB).toHaveLength(500);
    expect(b.cached()).toEqual({ clients: 0, unknown: 50, origins: 0 });
    // The last 50 are remembered: asking again reads nothing.
    await Promise.all(ids.slice(-50).map((id) => b.get(id)));
    expect(readsB).toHaveLength(500);
    // An id longer than any client id is not even asked for, nor remembered.
    expect(await b.get('x'.repeat(10_000))).toBeUndefined();
    // Nor one PostgreSQL could not even compare (a Basic header may carry a NUL).
    expect(await b.get('a\0b')).toBeUndefined();
    expect(await b.isAllowedOrigin('https://a\0b.example')).toBe(false);
    expect(readsB).toHaveLength(500);
  });

  it('reads a client again after its TTL (60 s), an unknown id after 10 s, on the injected clock', async () => {
    const { b } = await pair();
    const [id, later] = [fresh('ttl'), fresh('later')];
    await query(url, `insert into clients (id, name, redirect_uris) values ($1, 'Old', '[]')`, [id]);
    expect((await b.get(id))?.name).toBe('Old');
    expect(await b.get(later)).toBeUndefined();
    // Changed without a notice: only the TTL tells.
    await query(url, `update clients set name = 'New' where id = $1`, [id]);
    await query(url, `insert into clients (id, name, redirect_uris) values ($1, 'Later', '[]')`, [later]);
    clock.advance(9_999);
    expect(await b.get(later)).toBeUndefined();
    clock.advance(1);
    expect((await b.get(later))?.name).toBe('Later');
    clock.advance(59_999 - 10_000);
    expect((await b.get(id))?.name).toBe('Old');
    clock.advance(1);
    expect((await b.get(id))?.name).toBe('New');
  });

  it('allows a CORS origin added on one instance on the other, from an indexed query, cached', async () => {
    const id = fresh('spa');
    const origin = `https://${id}.example`;
    // Made before the instances listen: no notice of it can clear B's origins while it counts.
    await new ClientService(ormA.em).create({ id, name: 'SPA', redirectUris: [`${origin}/cb`] });
    const { a, b, service } = await pair();
    readsB = [];
    expect(await b.isAllowedOrigin(origin)).toBe(false);
    expect(await Promise.all(Array.from({ length: 10 }, () => b.isAllowedOrigin(origin)))).toEqual(Array(10).fill(false));
    expect(readsB).toHaveLength(1);
    await service.update(id, { allowedOrigins: [origin] });
    expect(await a.isAllowedOrigin(origin)).toBe(true);
    await soon(() => b.isAllowedOrigin(origin), true);
    const reads = readsB.length;
    expect(await b.isAllowedOrigin(origin)).toBe(true);
    expect(readsB).toHaveLength(reads);
    await service.update(id, { allowedOrigins: [] });
    await soon(() => b.isAllowedOrigin(origin), false);
    expect(await b.isAllowedOrigin(`https://other-${id}.example`)).toBe(false);
  });

  it('finds origins with the GIN index on clients.allowed_origins', async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The table is small here: without this the planner rightly prefers reading it all.
      await client.query('set enable_seqscan = off');
      const plan = await client.query('explain select 1 as one from clients where allowed_origins @> $1::jsonb limit 1', [JSON.stringify(['https://a.example'])]);
      expect(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(/clients_allowed_origins_index/);
    } finally {
      await client.end();
    }
  });

  it('forgets a deleted metadata-document client\'s cached document, and all of them on an empty notice', async () => {
    const { b } = await pair();
    const forgotten: string[] = [];
    let cleared = 0;
    const documents: MetadataDocumentClients = {
      accepts: () => true,
      resolve: async () => undefined,
      forget: (id) => void forgotten.push(id),
      forgetAll: () => void cleared++,
    };
    b.useMetadataDocuments(documents);
    const doc = 'https://docs.example/client.json';
    await notifyClientsChanged(ormA, doc);
    await soon(async () => forgotten.includes(doc), true);
    await notifyClientsChanged(ormA, fresh('plain'));
    await notifyClientsChanged(ormA);
    await soon(async () => cleared, 1);
    expect(forgotten).toEqual([doc]);
  });

  it('holds at most its cache size with 50 000 clients in the table, and reads none at its start', async () => {
    const prefix = fresh('many');
    await query(url, `insert into clients (id, name, redirect_uris, allowed_origins) select $1 || '-' || n, 'Client ' || n, '[]', jsonb_build_array('https://' || $1 || '-' || n || '.example') from generate_series(1, 50000) n`, [prefix]);
    readsB = [];
    const b = await registry(ormB, { cacheSize: 1000 });
    expect(readsB).toHaveLength(0);
    expect(b.cached()).toEqual({ clients: 0, unknown: 0, origins: 0 });
    // 2 000 distinct clients and origins, spread over the table, 50 at a time.
    const picks = Array.from({ length: 2000 }, (_, i) => 1 + i * 25);
    for (let i = 0; i < picks.length; i += 50) {
      const batch = picks.slice(i, i + 50);
      const got = await Promise.all(batch.map((n) => b.get(`${prefix}-${n}`)));
      expect(got.map((c) => c?.name)).toEqual(batch.map((n) => `Client ${n}`));
      expect(await Promise.all(batch.slice(0, 5).map((n) => b.isAllowedOrigin(`https://${prefix}-${n}.example`)))).toEqual([true, true, true, true, true]);
    }
    const cached = b.cached();
    expect(cached.clients).toBe(1000);
    expect(cached.origins).toBeLessThanOrEqual(1000);
    expect(cached.unknown).toBe(0);
    // The most recent ones are hits; the first ones were evicted and are read again.
    readsB = [];
    await b.get(`${prefix}-${picks.at(-1)}`);
    expect(readsB).toHaveLength(0);
    await b.get(`${prefix}-${picks[0]}`);
    expect(readsB).toHaveLength(1);
  });
});
