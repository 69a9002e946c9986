/**
 * Signing keys in PostgreSQL. Changes happen in a transaction holding an advisory lock, so that
 * instances sharing the database take turns and re-plan from what is committed; each change is
 * announced with NOTIFY so the other instances reload at once (a bounded poll backs this up).
 */
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { SignatureAlg } from '../config/definitions.js';
import { SigningKey } from '../db/entities/signing-key.js';
import type { KeyFamily, KeyTimeline } from './lifecycle.js';

export const KEYS_CHANGED_CHANNEL = 'jwt_oidc_signing_keys';
export { ChangeListener } from '../db/change-listener.js';
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

