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
}

const toSession = (row: Session): ProviderSession => ({ idHash: row.idHash, sid: row.sid, userId: row.userId, authTime: row.authTime.getTime(), amr: row.amr, expiresAt: row.expiresAt.getTime(), createdAt: row.createdAt.getTime() });

/** Ends every session of a user, in the transaction of `em` when it has one (see `revokeGrantsOfUser`). */
export async function deleteSessionsOfUser(em: EntityManager, userId: string): Promise<void> {
  await em.nativeDelete(Session, { userId });
}

export class SessionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {}

  /** A new session with a fresh id (never a value the browser sent: docs/SECURITY.md SE-01). */
  async create(userId: string, ttlMs: number, amr: string[] = ['pwd']): Promise<{ cookieValue: string; session: ProviderSession }> {
    const minted = this.mint(userId, ttlMs, amr);
    await this.save(minted.session);
    return minted;
  }

  /** A new session's id and facts, not stored yet: its id can be claimed for an interaction first. */
  mint(userId: string, ttlMs: number, amr: string[] = ['pwd']): { cookieValue: string; session: ProviderSession } {
    const cookieValue = newOpaqueValue();
    const now = this.clock.now();
    return { cookieValue, session: { idHash: digest(cookieValue), sid: randomBytes(16).toString('base64url'), userId, authTime: now, amr, expiresAt: now + ttlMs } };
  }

  async save(session: ProviderSession): Promise<void> {
    const em = this.orm.em.fork();
    em.create(Session, { idHash: session.idHash, sid: session.sid, userId: session.userId, authTime: new Date(session.authTime), amr: session.amr, expiresAt: new Date(session.expiresAt), createdAt: new Date(this.clock.now()) });
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

  async delete(idHash: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(Session, { idHash });
  }

  async deleteByCookie(cookieValue: string | undefined): Promise<void> {
    if (!cookieValue || cookieValue.length > 128) return;
    await this.orm.em.fork().nativeDelete(Session, { idHash: digest(cookieValue) });
  }
}
