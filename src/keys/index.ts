/** Starting the signing keys of a provider from its settings and database. */
import type { Clock } from '../clock.js';
import type { Settings } from '../config/load.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { KeyEncryption } from './encryption.js';
import { KeyManager, type KeyManagerOptions } from './key-manager.js';
import { resolveEncryptionSecrets } from './secrets.js';

export { KeyManager } from './key-manager.js';
export { KeyDecryptionError, KeyError, KeyUnavailableError } from './errors.js';

export interface StartKeysOptions {
  settings: Settings;
  db: Database;
  logger: Logger;
  clock?: Clock;
  /** Follow the lifecycle (timer and LISTEN) — false for one-shot CLI commands. */
  follow?: boolean;
  /** Overrides for tests. */
  manager?: Partial<KeyManagerOptions>;
}

export async function createKeyManager({ settings, db, logger, clock, follow = true, manager }: StartKeysOptions): Promise<KeyManager> {
  const encryption = new KeyEncryption(await resolveEncryptionSecrets(settings, logger));
  return new KeyManager({
    orm: db.orm,
    settings,
    encryption,
    logger,
    clock,
    listenUrl: follow ? db.url : undefined,
    timer: follow,
    ...manager,
  });
}

export async function startKeyManager(options: StartKeysOptions): Promise<KeyManager> {
  const keys = await createKeyManager(options);
  await keys.start();
  return keys;
}
