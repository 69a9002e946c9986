/**
 * The client mode's local users: jwt-oidc's own `users` table behind the `UserStore` interface of
 * @jwt-oidc/express (which finds, creates and updates them per IDENTIFICATION_CLAIM, CREATE_USER,
 * USER_DEFAULT_ATTRIBUTES and ID_TOKEN_RENAME_ATTRIBUTES; only allow-listed fields are written).
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WRITABLE_USER_FIELDS, type LocalUser, type UserStore, type WritableField } from '@jwt-oidc/express';
import { User } from '../db/entities/user.js';
import { normalizeUsername } from '../users/user-service.js';
import { usernameProblem } from '../users/precis.js';

export type { LocalUser, UserStore, WritableField };

const WRITABLE = new Set<string>(WRITABLE_USER_FIELDS);

/** The default store: jwt-oidc's own `users` table; the identity kept in `attributes.oidcIdentifier`. */
export class OrmUserStore implements UserStore {
  constructor(private readonly em: EntityManager) {}

  async find(identifier: string): Promise<LocalUser | undefined> {
    const rows = await this.em.fork().getConnection().execute<{ id: string }[]>(`select id from users where attributes->>'oidcIdentifier' = ? limit 1`, [identifier]);
    if (!rows[0]) return undefined;
    const user = await this.em.fork().findOne(User, { id: rows[0].id });
    return user ? view(user) : undefined;
  }

  async create(identifier: string, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser> {
    const em = this.em.fork();
    const wanted = normalizeUsername(identifier);
    // The upstream identifier as username when it is a valid one (RFC 8265, one script), else a digest.
    const username = wanted.length <= 150 && usernameProblem(wanted) === undefined && !(await em.findOne(User, { username: wanted }))
      ? wanted
      : `oidc_${createHash('sha256').update(identifier).digest('hex').slice(0, 20)}`;
    const user = em.create(User, { username, attributes: { oidcIdentifier: identifier }, ...pick(fields) });
    await em.flush();
    return view(user);
  }

  async update(local: LocalUser, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser> {
    const em = this.em.fork();
    const user = await em.findOneOrFail(User, { id: local.id });
    em.assign(user, pick(fields));
    await em.flush();
    return view(user);
  }
}

function pick(fields: Partial<Record<WritableField, unknown>>): Partial<User> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => WRITABLE.has(k))) as Partial<User>;
}

function view(u: User): LocalUser {
  return { id: u.id, username: u.username, email: u.email ?? null, emailVerified: u.emailVerified, givenName: u.givenName ?? null, familyName: u.familyName ?? null, locale: u.locale ?? null, picture: u.picture ?? null, admin: u.admin, active: u.active };
}
