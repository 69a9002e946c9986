/**
 * Sessions in this process's memory: for development and tests only. They are lost at restart
 * and not shared between processes (a login at one instance is unknown to the next), so the
 * store says so once, when it is made. Expired sessions are dropped when read and on a timer
 * that does not keep the process alive.
 */
import type { SessionStore } from './session-store.js';

export interface MemorySessionStoreOptions {
  /** Receives the warning (default: `process.emitWarning`); pass `() => {}` to silence it in tests. */
  warn?: (message: string) => void;
  /** For tests: the clock (default `Date.now`). */
  now?: () => number;
}

interface Entry {
  data: Record<string, unknown>;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    const message =
      'jwt-oidc: sessions are kept in memory (lost at restart, not shared between processes); pass databaseUrl or a sessionStore in production';
    (options.warn ?? ((m: string) => process.emitWarning(m, { code: 'JWT_OIDC_MEMORY_SESSIONS' })))(message);
    setInterval(() => this.prune(), 60_000).unref();
  }

  async get(idHash: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.sessions.get(idHash);
    if (entry && entry.expiresAt <= this.now()) this.sessions.delete(idHash);
    // A copy: callers change what they read before they write it back.
    return entry && entry.expiresAt > this.now() ? structuredClone(entry.data) : undefined;
  }

  async set(idHash: string, data: Record<string, unknown>, expiresAt: number): Promise<void> {
    this.sessions.set(idHash, { data: structuredClone(data), expiresAt });
  }

  async destroy(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }

  /** One holder per session at a time, in this process (the only one that sees these sessions). */
  async withLock<T>(idHash: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(idHash) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(idHash, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(idHash) === tail) this.locks.delete(idHash);
    }
  }

  async destroyByLogin(login: { iss: string; sub?: string; sid?: string }): Promise<number> {
    let ended = 0;
    for (const [id, { data }] of this.sessions) {
      const claims = (data.login as { claims?: Record<string, unknown> } | undefined)?.claims;
      if (!claims || claims.iss !== login.iss) continue;
      if ((login.sub !== undefined && claims.sub !== login.sub) || (login.sid !== undefined && claims.sid !== login.sid)) continue;
      this.sessions.delete(id);
      ended++;
    }
    return ended;
  }

  /** Drops expired sessions; returns how many. */
  prune(): number {
    let dropped = 0;
    for (const [id, entry] of this.sessions) {
      if (entry.expiresAt <= this.now()) {
        this.sessions.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
}
