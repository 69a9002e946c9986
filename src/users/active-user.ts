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
