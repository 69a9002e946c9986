/**
 * The fake mode's identities are users whose id is the subject typed (src/users/user-id.ts),
 * their typed claims in `attributes.claims`: the provider's grants, sessions and tokens work on
 * them unchanged. The most recently used ones, by `updated_at`, make the login page's list.
 */
import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import { User } from '../db/entities/user.js';
import { isUserId } from '../users/user-id.js';
import type { FakeIdentity } from './identity.js';

/** How many identities the login page offers. */
export const RECENT_IDENTITIES = 10;

/**
 * Stores the identity — created on first use, its claims replaced on every later sign-in — and
 * puts it first in the recent list. Of parallel first sign-ins with one subject, one inserts and
 * the others update: one row, whatever the timing.
 */
export async function saveIdentity(orm: MikroORM, identity: FakeIdentity, now: Date): Promise<User> {
  const em = orm.em.fork();
  // The column mirrors the claim for the administration, when it fits (extras may set it to anything).
  const email = typeof identity.claims.email === 'string' && identity.claims.email.length <= 320 ? identity.claims.email : null;
  const data = { email, emailVerified: email !== null && identity.claims.email_verified === true, attributes: { claims: identity.claims }, active: true, updatedAt: now };
  let lastError: unknown;
  for (const username of usernamesFor(identity.sub)) {
    try {
      return await em.upsert(User, { id: identity.sub, username, ...data }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictMergeFields: ['email', 'emailVerified', 'attributes', 'active', 'updatedAt'] });
    } catch (e) {
      // Another subject has this username (a long subject's prefix, say): try the next one.
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
      lastError = e;
    }
  }
  throw lastError;
}

/** An existing identity, unchanged but for being the most recent one; null when it is gone or disabled. */
export async function touchIdentity(orm: MikroORM, sub: string, now: Date): Promise<User | null> {
  if (!isUserId(sub)) return null;
  const em = orm.em.fork();
  // A plain update: the time is the injected clock's, not the entity's own `onUpdate`.
  if ((await em.nativeUpdate(User, { id: sub, active: true }, { updatedAt: now })) === 0) return null;
  return em.findOne(User, { id: sub });
}

/** The recently used identities, newest first. */
export async function recentIdentities(orm: MikroORM, limit = RECENT_IDENTITIES): Promise<FakeIdentity[]> {
  const users = await orm.em.fork().find(User, { active: true }, { orderBy: { updatedAt: 'desc', id: 'asc' }, limit });
  return users.map(identityOf);
}

/** The identity a user of the fake mode stands for. */
export function identityOf(user: Pick<User, 'id' | 'attributes'>): FakeIdentity {
  const claims = user.attributes.claims;
  return { sub: user.id, claims: claims && typeof claims === 'object' && !Array.isArray(claims) ? { ...(claims as Record<string, unknown>) } : {} };
}

/** The subject itself when it fits a username (150 characters), then a digest of it. */
function usernamesFor(sub: string): string[] {
  const digest = `fake-${createHash('sha256').update(sub).digest('base64url').slice(0, 22)}`;
  return sub.length <= 150 ? [sub, digest] : [digest];
}
