/**
 * Signing keys in PostgreSQL. Changes happen in a transaction holding an advisory lock, so that
 * instances sharing the database take turns and re-plan from what is committed; each change is
 * announced with NOTIFY so the other instances reload at once (a bounded poll backs this up).
 */
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { SignatureAlg } from '../config/definitions.js';
import { SigningKey } from '../db/entities/signing-key.js';
import type { Logger } from '../log.js';
import type { KeyFamily, KeyTimeline } from './lifecycle.js';

export const KEYS_CHANGED_CHANNEL = 'jwt_oidc_signing_keys';
/** Advisory lock serialising key changes across instances ("jwtkeys" in hex). */
const KEYS_LOCK = '0x6a77746b657973';

export interface StoredKey extends KeyTimeline {
  publicJwk: Record<string, string>;
  /** Encrypted PKCS#8 (see encryption.ts). */
  privateKey: string;
}

export function toStored(row: SigningKey): StoredKey {
  return {
    kid: row.kid,
    family: row.family as KeyFamily,
    alg: row.alg as SignatureAlg,
    publicJwk: row.publicJwk,
    privateKey: row.privateKey,
    createdAt: row.createdAt.getTime(),
    activatesAt: row.activatesAt.getTime(),
    retiresAt: row.retiresAt?.getTime() ?? null,
    deletesAt: row.deletesAt?.getTime() ?? null,
  };
}

export class SigningKeyStore {
  constructor(private readonly orm: MikroORM) {}

  async list(): Promise<StoredKey[]> {
    const rows = await this.orm.em.fork().find(SigningKey, {}, { orderBy: { activatesAt: 'asc' } });
    return rows.map(toStored);
  }

  /**
   * Runs `fn` in a transaction holding the key lock, with the committed keys; whatever `fn`
   * changes through `em` is flushed, and other instances are notified, on commit.
   */
  async locked<T>(fn: (keys: StoredKey[], em: EntityManager) => Promise<{ result: T; changed: boolean }>): Promise<T> {
    return this.orm.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(${KEYS_LOCK})`);
      const rows = await em.find(SigningKey, {}, { orderBy: { activatesAt: 'asc' } });
      const { result, changed } = await fn(rows.map(toStored), em);
      if (changed) {
        await em.flush();
        await em.execute(`select pg_notify('${KEYS_CHANGED_CHANNEL}', '')`);
      }
      return result;
    });
  }
}

/**
 * LISTENs for key changes on a dedicated connection and calls `onChange`; reconnects with
 * backoff when the connection drops (and reports a change then, since one may have been missed).
 */
export class KeyChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private delay = 500;

  constructor(
    private readonly url: string,
    private readonly onChange: () => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'jwt-oidc key listener' });
    client.on('notification', () => this.onChange());
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.stopped || this.client !== client) return;
      this.client = undefined;
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`listen ${KEYS_CHANGED_CHANNEL}`);
      this.client = client;
      if (this.delay > 500) this.onChange(); // reconnected: we may have missed a change
      this.delay = 500;
    } catch (e) {
      await client.end().catch(() => undefined);
      this.logger.warn({ err: e }, 'key change listener could not connect; retrying');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connect(), this.delay);
    this.retry.unref();
    this.delay = Math.min(this.delay * 2, 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
