/**
 * Local users of a relying party, found by the upstream identity (IDENTIFICATION_CLAIM),
 * created at first login when CREATE_USER is on (with USER_DEFAULT_ATTRIBUTES, copied), and
 * updated from claims per ID_TOKEN_RENAME_ATTRIBUTES — which can only ever write allow-listed
 * profile fields, never admin or active flags. An app can bring its own store.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WRITABLE_USER_FIELDS } from '../config/definitions.js';
import { User } from '../db/entities/user.js';
import { normalizeUsername } from '../users/user-service.js';

export type WritableField = (typeof WRITABLE_USER_FIELDS)[number];

export interface LocalUser {
  id: string;
  [field: string]: unknown;
}

export interface UserStore {
  /** The user linked to this upstream identity, if any. */
  find(identifier: string): Promise<LocalUser | undefined>;
  /** A new user for this identity with these fields. */
  create(identifier: string, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser>;
  /** Writes these fields (only ever allow-listed ones). */
  update(user: LocalUser, fields: Partial<Record<WritableField, unknown>>): Promise<LocalUser>;
}

export interface UserMapping {
  identificationClaim: string;
  createUser: boolean;
  renameAttributes: Record<string, string>;
  defaultAttributes: Partial<Record<WritableField, unknown>>;
}

const WRITABLE = new Set<string>(WRITABLE_USER_FIELDS);

/** Fields to write from claims: only allow-listed targets, and values of the right shape. */
export function fieldsFromClaims(claims: Record<string, unknown>, rename: Record<string, string>): Partial<Record<WritableField, unknown>> {
  const fields: Partial<Record<WritableField, unknown>> = {};
  for (const [claim, field] of Object.entries(rename)) {
    if (!WRITABLE.has(field) || !(claim in claims)) continue;
    const value = claims[claim];
    if (field === 'emailVerified' ? typeof value === 'boolean' : typeof value === 'string' && value.length <= 2048) fields[field as WritableField] = value;
  }
  return fields;
}

/** Finds or (with CREATE_USER) creates the local user of a login; undefined when there is none. */
export async function mapUser(store: UserStore, mapping: UserMapping, claims: Record<string, unknown>): Promise<LocalUser | undefined> {
  const identifier = claims[mapping.identificationClaim];
  if (typeof identifier !== 'string' || identifier === '' || identifier.length > 512) return undefined;
  const fromClaims = fieldsFromClaims(claims, mapping.renameAttributes);
  const existing = await store.find(identifier);
  if (existing) return Object.keys(fromClaims).length ? store.update(existing, fromClaims) : existing;
  if (!mapping.createUser) return undefined;
  // Defaults are copied per user (structuredClone), never shared or mutated.
  return store.create(identifier, { ...structuredClone(mapping.defaultAttributes), ...fromClaims });
}

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
    const username = /^[\p{L}\p{N}._@+-]{1,150}$/u.test(wanted) && !(await em.findOne(User, { username: wanted }))
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
