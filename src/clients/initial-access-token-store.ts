/**
 * Initial access tokens (RFC 7591 §3): the one module that reads and writes
 * `initial_access_tokens`. A token is 256 random bits shown once to the administrator who made
 * it; only its SHA-256 is kept. A use is one conditional UPDATE — alive and with a use left —
 * so that parallel registrations can never spend more uses than it had.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import { InitialAccessToken } from '../db/entities/initial-access-token.js';
import { sha256 } from '../util/digest.js';

/** Bounds of what an administrator may ask for: a day by default, at most 30 days; 1 to 10 000 uses. */
export const INITIAL_TOKEN_LIMITS = { defaultExpiresIn: 86_400, maxExpiresIn: 30 * 86_400, maxUses: 10_000 } as const;

export class InitialTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitialTokenError';
  }
}

export class InitialAccessTokenStore {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** A new token: `expiresIn` seconds (default a day), `maxUses` registrations (default 1). */
  async create(options: { expiresIn?: number | null; maxUses?: number | null } = {}): Promise<{ token: string; expiresAt: Date; maxUses: number }> {
    const expiresIn = options.expiresIn ?? INITIAL_TOKEN_LIMITS.defaultExpiresIn;
    const maxUses = options.maxUses ?? 1;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > INITIAL_TOKEN_LIMITS.maxExpiresIn) throw new InitialTokenError(`expiresIn: a whole number of seconds from 1 to ${INITIAL_TOKEN_LIMITS.maxExpiresIn}`);
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > INITIAL_TOKEN_LIMITS.maxUses) throw new InitialTokenError(`maxUses: a whole number from 1 to ${INITIAL_TOKEN_LIMITS.maxUses}`);
    const token = randomBytes(32).toString('base64url');
    const row = new InitialAccessToken();
    row.tokenHash = sha256(token);
    row.remainingUses = maxUses;
    row.expiresAt = new Date(this.clock.now() + expiresIn * 1000);
    await this.em.fork().persist(row).flush();
    return { token, expiresAt: row.expiresAt, maxUses };
  }

  /** Spends one use of `token`; false when it is unknown, expired (at its expiry instant too) or spent. */
  async use(token: string): Promise<boolean> {
    const rows = await this.em
      .fork()
      .getConnection()
      .execute<{ token_hash: string }[]>('update initial_access_tokens set remaining_uses = remaining_uses - 1 where token_hash = ? and expires_at > ? and remaining_uses > 0 returning token_hash', [sha256(token), new Date(this.clock.now())]);
    return rows.length === 1;
  }

  /** Gives back a use spent on a registration that was then refused (its metadata were invalid). */
  async refund(token: string): Promise<void> {
    await this.em.fork().getConnection().execute('update initial_access_tokens set remaining_uses = remaining_uses + 1 where token_hash = ?', [sha256(token)]);
  }
}
