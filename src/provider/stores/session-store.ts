/**
 * Provider browser sessions: who signed in at this browser, when and how (`auth_time`, `amr`,
 * `sid` of the ID tokens). The cookie carries the value, the row its digest.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';
import { Session } from '../../db/entities/session.js';
import { User } from '../../db/entities/user.js';
import { digest, newOpaqueValue } from './secrets.js';

export interface ProviderSession {
  idHash: string;
  sid: string;
  userId: string;
  authTime: number;
  amr: string[];
  expiresAt: number;
  /** When it was stored (set by the store; a minted session not yet saved has none). */
  createdAt?: number;
  /** The browser it started in, as far as the request told (`sessionDevice`); null or absent when unknown. */
  userAgent?: string | null;
  ip?: string | null;
}

/** Where a session starts: the request's `User-Agent` and client address. */
export interface SessionDevice {
  userAgent: string | null;
  ip: string | null;
}

const toSession = (row: Session): ProviderSession => ({
  idHash: row.idHash,
  sid: row.sid,
  userId: row.userId,
  authTime: row.authTime.getTime(),
  amr: row.amr,
  expiresAt: row.expiresAt.getTime(),
  createdAt: row.createdAt.getTime(),
  userAgent: row.userAgent ?? null,
  ip: row.ip ?? null,
});

/**
 * The device facts of a request as the sessions table keeps them: the `User-Agent` cut to its
 * first 255 characters, control characters dropped (PostgreSQL text takes no NUL), and the
 * address as the edge resolved it (at most 64 characters: an IPv6 address with a zone fits).
 */
export function sessionDevice(userAgent: string | undefined, ip: string | undefined): SessionDevice {
  const agent = (userAgent ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  const address = (ip ?? '').trim().slice(0, 64);
  return { userAgent: agent || null, ip: address || null };
}

/**
 * Ends every session of a user, in the transaction of `em` when it has one (see
 * `revokeGrantsOfUser`); `exceptSid` spares one (the caller's own, on a password change that
 * ends the others).
 */
export async function deleteSessionsOfUser(em: EntityManager, userId: string, exceptSid?: string): Promise<void> {
  await em.nativeDelete(Session, exceptSid === undefined ? { userId } : { userId, sid: { $ne: exceptSid } });
}

export class SessionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {}

  /** A new session with a fresh id (never a value the browser sent: docs/SECURITY.md SE-01). */
  async create(userId: string, ttlMs: number, amr: string[] = ['pwd'], device?: SessionDevice): Promise<{ cookieValue: string; session: ProviderSession }> {
    const minted = this.mint(userId, ttlMs, amr, device);
    await this.save(minted.session);
    return minted;
  }

  /** A new session's id and facts, not stored yet: its id can be claimed for an interaction first. */
  mint(userId: string, ttlMs: number, amr: string[] = ['pwd'], device?: SessionDevice): { cookieValue: string; session: ProviderSession } {
    const cookieValue = newOpaqueValue();
    const now = this.clock.now();
    return {
      cookieValue,
      session: { idHash: digest(cookieValue), sid: randomBytes(16).toString('base64url'), userId, authTime: now, amr, expiresAt: now + ttlMs, userAgent: device?.userAgent ?? null, ip: device?.ip ?? null },
    };
  }

  async save(session: ProviderSession): Promise<void> {
    const em = this.orm.em.fork();
    const device = sessionDevice(session.userAgent ?? undefined, session.ip ?? undefined);
    em.create(Session, {
      idHash: session.idHash,
      sid: session.sid,
      userId: session.userId,
      authTime: new Date(session.authTime),
      amr: session.amr,
      expiresAt: new Date(session.expiresAt),
      createdAt: new Date(this.clock.now()),
      userAgent: device.userAgent,
      ip: device.ip,
    });
    await em.flush();
  }

  /** The live session of this cookie, of an active user; undefined otherwise. */
  async find(cookieValue: string | undefined): Promise<ProviderSession | undefined> {
    if (!cookieValue || cookieValue.length > 128) return undefined;
    const em = this.orm.em.fork();
    const row = await em.findOne(Session, { idHash: digest(cookieValue), expiresAt: { $gt: new Date(this.clock.now()) } });
    if (!row) return undefined;
    const user = await em.findOne(User, { id: row.userId, active: true }, { fields: ['id'] });
    if (!user) return undefined;
    return toSession(row);
  }

  /**
   * A session whose user gave a second factor after signing in (step-up, docs/ACCOUNTS.md
   * "Two-step sign-in"): its `amr` becomes `amr`, its `auth_time` stays the first factor's, so
   * that `max_age` keeps bounding the older factor. False when the session ended meanwhile.
   */
  async stepUp(idHash: string, userId: string, amr: string[]): Promise<boolean> {
    return (await this.orm.em.fork().nativeUpdate(Session, { idHash, userId, expiresAt: { $gt: new Date(this.clock.now()) } }, { amr })) === 1;
  }

  /** A user's live sessions, newest first: the administration's view. */
  async listOfUser(userId: string): Promise<ProviderSession[]> {
    const rows = await this.orm.em.fork().find(Session, { userId, expiresAt: { $gt: new Date(this.clock.now()) } }, { orderBy: { createdAt: 'desc' } });
    return rows.map(toSession);
  }

  /** How many sessions are live now: the administration's overview. */
  async countLive(): Promise<number> {
    return this.orm.em.fork().count(Session, { expiresAt: { $gt: new Date(this.clock.now()) } });
  }

  /** Ends the session with this `sid` (the browser must sign in again); whether there was one. */
  async endBySid(sid: string): Promise<boolean> {
    return (await this.orm.em.fork().nativeDelete(Session, { sid })) > 0;
  }

  /**
   * Ends the session with this `sid` only if it is `userId`'s (a user ending one of their own
   * sessions); whether there was one. Another user's `sid` changes nothing and reads as none.
   */
  async endOfUser(userId: string, sid: string): Promise<boolean> {
    if (sid.length > 64) return false;
    return (await this.orm.em.fork().nativeDelete(Session, { sid, userId })) > 0;
  }

  async delete(idHash: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(Session, { idHash });
  }

  async deleteByCookie(cookieValue: string | undefined): Promise<void> {
    if (!cookieValue || cookieValue.length > 128) return;
    await this.orm.em.fork().nativeDelete(Session, { idHash: digest(cookieValue) });
  }
}
