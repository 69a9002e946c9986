/**
 * The first administrator, made from the browser on first run (src/interaction/first-admin.ts):
 * only while no administrator exists, and exactly one even when several requests (or instances)
 * try at once. The check and the creation run under one PostgreSQL advisory lock; the user is
 * committed before the lock is released, so whoever waits next sees it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { User } from '../db/entities/user.js';
import { UserService, type CreateUserInput } from './user-service.js';

/** An arbitrary constant naming the lock of this one decision. */
const FIRST_ADMIN_LOCK = 73_190_104;

export async function hasAdministrator(orm: MikroORM): Promise<boolean> {
  return (await orm.em.fork().count(User, { admin: true })) > 0;
}

/** The attempt running in this process, per database: later ones wait here, holding no connection. */
const running = new WeakMap<MikroORM, Promise<unknown>>();

/**
 * The new administrator, or `exists` when one already does (then nothing is created).
 * Attempts of one process take turns before they take a connection: each holds two while it
 * runs (the lock's transaction, and the user's own), so a burst waiting on the lock with a
 * connection each would starve the pool of the one it waits for.
 */
export function createFirstAdministrator(orm: MikroORM, input: Omit<CreateUserInput, 'admin' | 'active'>): Promise<User | 'exists'> {
  const turn = (running.get(orm) ?? Promise.resolve()).catch(() => undefined).then(() => attempt(orm, input));
  running.set(orm, turn);
  return turn;
}

async function attempt(orm: MikroORM, input: Omit<CreateUserInput, 'admin' | 'active'>): Promise<User | 'exists'> {
  return orm.em.fork().transactional(async (em) => {
    await em.getConnection().execute('select pg_advisory_xact_lock(?)', [FIRST_ADMIN_LOCK], 'all', em.getTransactionContext());
    if ((await em.count(User, { admin: true })) > 0) return 'exists';
    // Its own transaction, committed while the lock is still held.
    return new UserService(orm.em).create({ ...input, admin: true, active: true });
  });
}
