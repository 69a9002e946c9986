/**
 * Private keys at rest: AES-256-GCM under a key derived (HKDF-SHA256, RFC 5869) from
 * JWT_OIDC_KEY_ENCRYPTION_SECRET. Several secrets may be configured: the first encrypts, all
 * decrypt, so a secret can be replaced without downtime. Each ciphertext names the secret that
 * made it (a digest, never the secret) and is bound to its key id as associated data, so a
 * ciphertext moved to another row does not decrypt.
 *
 *   v1.<secret id>.<iv>.<ciphertext>.<tag>   (base64url parts)
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { KeyDecryptionError } from './errors.js';

const VERSION = 'v1';
const INFO = 'jwt-oidc signing-key encryption v1';

interface DerivedSecret {
  id: string;
  key: Buffer;
}

export class KeyEncryption {
  private readonly secrets: DerivedSecret[];
  private readonly first: string;

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new TypeError('at least one key encryption secret is required');
    this.secrets = secrets.map(derive);
    this.first = secrets[0]!;
  }

  /**
   * A 256-bit key for another purpose (HMACs of audit records, device cookies), derived from the
   * current secret with its own HKDF info (RFC 5869 §3.2): independent of the encryption key.
   */
  keyFor(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', Buffer.from(this.first, 'utf8'), Buffer.from('jwt-oidc'), Buffer.from(`jwt-oidc ${purpose} v1`), 32));
  }

  /** Id of the secret that encrypts (the first). */
  get currentSecretId(): string {
    return this.secrets[0]!.id;
  }

  get secretIds(): string[] {
    return this.secrets.map((s) => s.id);
  }

  encrypt(kid: string, plaintext: Buffer): string {
    const { id, key } = this.secrets[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The secret id a ciphertext was made with (without decrypting it). */
  static secretIdOf(blob: string): string | undefined {
    const parts = blob.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
  }

  decrypt(kid: string, blob: string): Buffer {
    const parts = blob.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new KeyDecryptionError(`signing key ${kid}: unknown ciphertext format`);
    const [, id, iv, ciphertext, tag] = parts as [string, string, string, string, string];
    const secret = this.secrets.find((s) => s.id === id);
    if (!secret) {
      throw new KeyDecryptionError(
        `signing key ${kid} was encrypted with a secret that is not in JWT_OIDC_KEY_ENCRYPTION_SECRET ` +
          `(its id is ${id}; the configured secrets have ids ${this.secretIds.join(', ')}). Add that secret to the list.`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      throw new KeyDecryptionError(`signing key ${kid} does not decrypt: the stored ciphertext was altered or belongs to another key`);
    }
  }
}

function derive(secret: string): DerivedSecret {
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('a key encryption secret must have at least 32 characters');
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('jwt-oidc'), Buffer.from(INFO), 32));
  // The id is a digest of the derived key: it tells secrets apart without revealing them.
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 12);
  return { id, key };
}
