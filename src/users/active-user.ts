/**
 * The active user behind a grant or a token, on the hot paths (token, userinfo, GraphQL): one
 * statement mapped to an entity, without the query builder, whose CPU cost exceeds the round
 * trip's here. The entity belongs to a fresh fork: read it, don't flush it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { User } from '../db/entities/user.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findActiveUser(orm: MikroORM, id: string): Promise<User | null> {
  // Not a user id at all: no statement (PostgreSQL would refuse the uuid cast).
  if (!UUID.test(id)) return null;
  const em = orm.em.fork();
  const [row] = await em.getConnection().execute<Record<string, unknown>[]>('select * from users where id = ? and active = true', [id]);
  return row ? em.map(User, row) : null;
}
