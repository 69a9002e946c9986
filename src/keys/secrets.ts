/**
 * Where the key encryption secrets come from: the setting, or, outside production only, a
 * secret generated once into the data directory (with a warning: it is as safe as that
 * directory). Production without the setting is refused by the settings validation.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Settings } from '../config/load.js';
import { claimDataDir } from '../config/data-dir.js';
import type { Logger } from '../log.js';
import { KeyError } from './errors.js';

export const GENERATED_SECRET_FILE = 'key-encryption-secret';

export async function resolveEncryptionSecrets(
  settings: Pick<Settings, 'keyEncryptionSecret' | 'production' | 'dataDir'> & Partial<Pick<Settings, 'type'>>,
  logger: Logger,
): Promise<string[]> {
  if (settings.keyEncryptionSecret?.length) return settings.keyEncryptionSecret;
  if (settings.production) {
    throw new KeyError('ERR_KEY_SECRET_MISSING', 'JWT_OIDC_KEY_ENCRYPTION_SECRET: required when NODE_ENV=production');
  }
  if (settings.type) await claimDataDir(settings.dataDir, settings.type);
  const dir = resolve(settings.dataDir);
  const path = join(dir, GENERATED_SECRET_FILE);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined) return [existing.trim()];

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  // Written aside, then linked into place: exclusive and atomic, so two processes starting
  // together end up with one secret (the loser reads the winner's).
  const tmp = `${path}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, `${secret}\n`, { mode: 0o600 });
  try {
    await link(tmp, path);
    logger.warn(
      { path },
      'generated a key encryption secret into the data directory: fine for development; set JWT_OIDC_KEY_ENCRYPTION_SECRET in production',
    );
    return [secret];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return [(await readFile(path, 'utf8')).trim()];
  } finally {
    await rm(tmp, { force: true });
  }
}
