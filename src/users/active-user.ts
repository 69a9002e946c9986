/**
 * The active user behind a grant or a token, on the hot paths (token, userinfo, GraphQL): one
 * statement mapped to an entity, without the query builder, whose CPU cost exceeds the round
 * trip's here. The entity belongs to a fresh fork: read it, don't flush it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { User } from '../db/entities/user.js';
import { isUserId } from './user-id.js';


export async function findActiveUser(orm: MikroORM, id: string): Promise<User | null> {
  // Not a user id at all: no statement.
  if (!isUserId(id)) return null;
  const em = orm.em.fork();
  const [row] = await em.getConnection().execute<Record<string, unknown>[]>('select * from users where id = ? and active = true', [id]);
  return row ? em.map(User, row) : null;
}

/** The user fields that may name a user from another issuer's claim (README "Token exchange"). */
export type UserKey = 'id' | 'username' | 'email';

/**
 * The one active user whose `field` is `value` — emails without case, as they are compared at
 * sign-in — or null when none is, or several are: a claim that names two people names nobody.
 */
export async function findActiveUserBy(orm: MikroORM, field: UserKey, value: string): Promise<User | null> {
  if (field === 'id') return findActiveUser(orm, value);
  if (value === '' || value.length > 320) return null;
  const em = orm.em.fork();
  const where = field === 'email' ? 'lower(email) = lower(?)' : 'username = ?';
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(`select * from users where ${where} and active = true limit 2`, [value]);
  return rows.length === 1 ? em.map(User, rows[0]!) : null;
}
