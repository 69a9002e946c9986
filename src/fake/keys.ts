/**
 * The fake provider's signing keys: one RS256 key (ID tokens: the algorithm every relying party
 * accepts without configuration, OIDC Core §15.1) and one ES256 key (access tokens), generated
 * once into the data directory so tokens stay valid across restarts. Unlike the original, the
 * private keys are encrypted at rest (the key encryption secret of keys/), in a 0600 file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JWK } from 'jose';
import type { Settings } from '../config/load.js';
import { KeyEncryption } from '../keys/encryption.js';
import { resolveEncryptionSecrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';

export const FAKE_KEYS_FILE = 'fake-provider-keys.json';

export type FakeAlg = 'RS256' | 'ES256';

export interface FakeKey {
  kid: string;
  alg: FakeAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as published (`kid`, `alg`, `use: sig`). */
  jwk: JWK;
}

interface StoredKey {
  kid: string;
  alg: FakeAlg;
  /** PKCS#8 DER, encrypted (keys/encryption.ts). */
  privateKey: string;
}

export async function loadFakeKeys(settings: Pick<Settings, 'dataDir' | 'keyEncryptionSecret' | 'production'>, logger: Logger): Promise<FakeKey[]> {
  const encryption = new KeyEncryption(await resolveEncryptionSecrets(settings, logger));
  const dir = resolve(settings.dataDir);
  const path = join(dir, FAKE_KEYS_FILE);
  let stored = await read(path);
  if (!stored) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fresh = (['RS256', 'ES256'] as const).map((alg) => generate(alg, encryption));
    // Written aside and linked into place: two processes starting together agree on one set.
    const tmp = `${path}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify({ version: 1, keys: fresh }, null, 2), { mode: 0o600 });
    try {
      await link(tmp, path);
      logger.info({ path }, 'generated the fake provider\'s signing keys');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await rm(tmp, { force: true });
    }
    stored = (await read(path))!;
  }
  return stored.map((k) => {
    const privateKey = createPrivateKey({ key: encryption.decrypt(k.kid, k.privateKey), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    return { kid: k.kid, alg: k.alg, privateKey, publicKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: k.kid, alg: k.alg, use: 'sig' } };
  });
}

async function read(path: string): Promise<StoredKey[] | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as { version?: number; keys?: StoredKey[] };
  if (parsed.version !== 1 || !Array.isArray(parsed.keys) || parsed.keys.length !== 2) throw new Error(`${path}: not a key file of this version; delete it to generate new keys`);
  return parsed.keys;
}

function generate(alg: FakeAlg, encryption: KeyEncryption): StoredKey {
  const { privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `fake-${alg.toLowerCase()}-${randomBytes(6).toString('base64url')}`;
  return { kid, alg, privateKey: encryption.encrypt(kid, privateKey.export({ format: 'der', type: 'pkcs8' })) };
}
