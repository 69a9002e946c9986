/**
 * The sealed secrets of `client_secret_jwt` clients (src/clients/client-service.ts), as
 * `jwt-oidc keys reencrypt` reads and rewrites them beside the two-step secrets, in the caller's
 * transaction (src/users/factor-secrets.ts: all or nothing).
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export interface SealedClientSecret {
  id: string;
  secret: string;
}

/** Every client with a sealed secret, locked until the caller's transaction ends. */
export async function lockSealedClientSecrets(em: EntityManager): Promise<SealedClientSecret[]> {
  return em.execute<SealedClientSecret[]>('select id, sealed_secret as secret from clients where sealed_secret is not null order by id for update');
}

/** Replaces the sealed secret of client `id`, in the caller's transaction. */
export async function replaceSealedClientSecret(em: EntityManager, id: string, secret: string): Promise<void> {
  await em.execute('update clients set sealed_secret = ? where id = ?', [secret, id]);
}
