/**
 * Re-encryption of the second factors' TOTP secrets under the first JWT_OIDC_KEY_ENCRYPTION_SECRET
 * (`jwt-oidc keys reencrypt`, beside the signing keys; README "Signing keys"): after it, the
 * older secrets can leave the list without locking anyone out of their authenticator app.
 *
 * All or nothing, in one transaction that locks the rows: a secret that does not decrypt (made
 * under a secret no longer in the list, or altered) is reported with its row, and then no row is
 * rewritten — a half-done run would leave the operator unsure which secrets may go.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
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

export class FactorSecretsError extends Error {
  constructor(readonly failures: readonly FactorSecretFailure[]) {
    super(
      `${failures.length} two-step secret${failures.length === 1 ? '' : 's'} did not decrypt, so none was re-encrypted: ` +
        failures.map((f) => `factor ${f.id} (${f.kind}) of user ${f.userId}: ${f.reason}`).join('; ') +
        '. Add the secret they were made with to JWT_OIDC_KEY_ENCRYPTION_SECRET, or remove those factors (jwt-oidc users remove-factor).',
    );
    this.name = 'FactorSecretsError';
  }
}

/**
 * Re-encrypts every factor secret not made with the first secret; how many changed.
 * FactorSecretsError (nothing written) when one of them does not decrypt.
 */
export async function reencryptFactorSecrets(em: EntityManager, sealer: ResealingSealer): Promise<number> {
  return em.fork().transactional(async (tx) => {
    const failures: FactorSecretFailure[] = [];
    const resealed: { id: string; secret: string }[] = [];
    for (const row of await lockSealedSecrets(tx)) {
      const madeWith = KeyEncryption.secretIdOf(row.secret);
      if (madeWith === sealer.currentSecretId) continue;
      try {
        const plain = sealer.decrypt(sealedAs(row.id), row.secret);
        resealed.push({ id: row.id, secret: sealer.encrypt(sealedAs(row.id), plain) });
      } catch {
        const reason =
          madeWith === undefined ? 'not a ciphertext of this service' : sealer.secretIds.includes(madeWith) ? 'altered, or moved from another row' : `made with a secret not in the list (its id is ${madeWith})`;
        failures.push({ id: row.id, userId: row.userId, kind: row.kind, reason });
      }
    }
    if (failures.length > 0) throw new FactorSecretsError(failures);
    for (const { id, secret } of resealed) await replaceSealedSecret(tx, id, secret);
    return resealed.length;
  });
}
