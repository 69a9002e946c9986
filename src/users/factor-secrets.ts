/**
 * Re-encryption of the secrets sealed under JWT_OIDC_KEY_ENCRYPTION_SECRET other than the signing
 * keys — the second factors' TOTP secrets and the `client_secret_jwt` clients' secrets — under
 * the first secret of the list (`jwt-oidc keys reencrypt`, beside the signing keys; README
 * "Signing keys"): after it, the older secrets can leave the list without locking anyone out of
 * their authenticator app, nor a client out of the token endpoint.
 *
 * All or nothing, in one transaction that locks the rows of both tables: a secret that does not
 * decrypt (made under a secret no longer in the list, or altered) is reported with its row, and
 * then no row is rewritten — a half-done run would leave the operator unsure which secrets may go.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { lockSealedClientSecrets, replaceSealedClientSecret } from '../clients/client-secrets.js';
import { clientSealedAs } from '../clients/client-service.js';
import { KeyEncryption } from '../keys/encryption.js';
import { lockSealedSecrets, replaceSealedSecret } from './factor-store.js';
import { sealedAs, type SecretSealer } from './factors.js';

/** The sealer with what tells which secret made a ciphertext (KeyEncryption). */
export interface ResealingSealer extends SecretSealer {
  readonly currentSecretId: string;
  readonly secretIds: readonly string[];
}

/** A factor whose secret could not be opened. */
export interface FactorSecretFailure {
  id: string;
  userId: string;
  kind: string;
  reason: string;
}

/** A client_secret_jwt client whose secret could not be opened. */
export interface ClientSecretFailure {
  clientId: string;
  reason: string;
}

export class FactorSecretsError extends Error {
  constructor(
    readonly failures: readonly FactorSecretFailure[],
    readonly clientFailures: readonly ClientSecretFailure[] = [],
  ) {
    const counted = [
      failures.length ? `${failures.length} two-step secret${failures.length === 1 ? '' : 's'}` : '',
      clientFailures.length ? `${clientFailures.length} client secret${clientFailures.length === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    const single = failures.length + clientFailures.length === 1;
    super(
      `${counted.join(' and ')} did not decrypt, so none was re-encrypted: ` +
        [...failures.map((f) => `factor ${f.id} (${f.kind}) of user ${f.userId}: ${f.reason}`), ...clientFailures.map((f) => `client ${f.clientId}: ${f.reason}`)].join('; ') +
        `. Add the secret ${single ? 'it was' : 'they were'} made with to JWT_OIDC_KEY_ENCRYPTION_SECRET` +
        (failures.length ? ', or remove those factors (jwt-oidc users remove-factor)' : '') +
        (clientFailures.length ? ', or give those clients a new secret (jwt-oidc clients rotate-secret)' : '') +
        '.',
    );
    this.name = 'FactorSecretsError';
  }
}

/** How many secrets were re-encrypted, per table. */
export interface Resealed {
  factors: number;
  clients: number;
}

/**
 * Re-encrypts every factor and client secret not made with the first secret; how many changed.
 * FactorSecretsError (nothing written) when one of them does not decrypt.
 */
export async function reencryptSealedSecrets(em: EntityManager, sealer: ResealingSealer): Promise<Resealed> {
  return em.fork().transactional(async (tx) => {
    const factors = reseal(sealer, await lockSealedSecrets(tx), (row) => sealedAs(row.id));
    const clients = reseal(sealer, await lockSealedClientSecrets(tx), (row) => clientSealedAs(row.id));
    if (factors.failures.length > 0 || clients.failures.length > 0) {
      throw new FactorSecretsError(
        factors.failures.map(({ row, reason }) => ({ id: row.id, userId: row.userId, kind: row.kind, reason })),
        clients.failures.map(({ row, reason }) => ({ clientId: row.id, reason })),
      );
    }
    for (const { id, secret } of factors.resealed) await replaceSealedSecret(tx, id, secret);
    for (const { id, secret } of clients.resealed) await replaceSealedClientSecret(tx, id, secret);
    return { factors: factors.resealed.length, clients: clients.resealed.length };
  });
}

/** Each row not made with the first secret: opened and sealed again, or why it did not open. */
function reseal<R extends { id: string; secret: string }>(sealer: ResealingSealer, rows: readonly R[], boundTo: (row: R) => string) {
  const failures: { row: R; reason: string }[] = [];
  const resealed: { id: string; secret: string }[] = [];
  for (const row of rows) {
    const madeWith = KeyEncryption.secretIdOf(row.secret);
    if (madeWith === sealer.currentSecretId) continue;
    try {
      const plain = sealer.decrypt(boundTo(row), row.secret);
      resealed.push({ id: row.id, secret: sealer.encrypt(boundTo(row), plain) });
    } catch {
      const reason =
        madeWith === undefined ? 'not a ciphertext of this service' : sealer.secretIds.includes(madeWith) ? 'altered, or moved from another row' : `made with a secret not in the list (its id is ${madeWith})`;
      failures.push({ row, reason });
    }
  }
  return { failures, resealed };
}
