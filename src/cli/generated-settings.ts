/**
 * Settings left unset whose value the service generates into the data directory instead, so
 * that `jwt-oidc config` says where it is rather than "(unset)"; never the value itself.
 *
 * - `KEY_ENCRYPTION_SECRET`: outside production, provider and fake modes generate one into
 *   `<DATA_DIR>/key-encryption-secret` at their first start (src/keys/secrets.ts).
 * - `DATABASE_URL`: unset, an embedded PostgreSQL is created in `<DATA_DIR>/postgres`, with a
 *   generated password kept in its directory (src/db/embedded/cluster.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingKey } from '../config/definitions.js';
import type { Settings } from '../config/load.js';
import { GENERATED_SECRET_FILE } from '../keys/secrets.js';

export interface GeneratedSetting {
  /** What is generated: shown before "generated". */
  what?: string;
  /** Where, as the data directory is set (relative to the working directory when it is). */
  path: string;
  /** Whether it has been generated yet (it is at the first start otherwise). */
  exists: boolean;
}

export function generatedSetting(key: SettingKey, settings: Settings): GeneratedSetting | undefined {
  if (key === 'keyEncryptionSecret' && !settings.keyEncryptionSecret?.length && !settings.production && (settings.type === 'provider' || settings.type === 'fake')) {
    return at(join(settings.dataDir, GENERATED_SECRET_FILE));
  }
  if (key === 'databaseUrl' && settings.databaseUrl === undefined) return { what: 'embedded PostgreSQL', ...at(join(settings.dataDir, 'postgres')) };
  return undefined;
}

/** "generated, in .data/key-encryption-secret", or when not yet there, when it will be. */
export function describeGenerated(g: GeneratedSetting): string {
  const what = g.what ? `${g.what}, ` : '';
  return g.exists ? `${what}generated, in ${g.path}` : `${what}generated into ${g.path} at the first start`;
}

function at(path: string): GeneratedSetting {
  return { path, exists: existsSync(path) };
}
