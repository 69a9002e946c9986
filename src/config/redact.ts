/** The effective settings as `jwt-oidc config` shows them: secrets never appear. */
import { definitions, SETTING_KEYS, type SettingKey } from './definitions.js';
import type { LoadedSettings } from './load.js';

export const REDACTED = '[redacted]';

export interface ShownSetting {
  key: SettingKey;
  env: string;
  value: unknown;
  source: 'default' | 'file' | 'env';
}

export function redactedSettings({ settings, sources }: LoadedSettings): ShownSetting[] {
  return SETTING_KEYS.map((key) => {
    const def = definitions[key];
    const value = settings[key];
    return { key, env: def.env, value: def.secret ? redactValue(key, value) : value, source: sources[key] };
  });
}

function redactValue(key: SettingKey, value: unknown): unknown {
  if (value === undefined) return undefined;
  // Where the server is helps the operator; the password is the secret.
  if ((key === 'databaseUrl' || key === 'smtpUrl') && typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map(() => REDACTED);
  return REDACTED;
}

/** `postgres://app:s3cret@db/app` → `postgres://app:[redacted]@db/app` (an smtp:// URL alike). */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    // The URL class would percent-encode the brackets; put a plain marker in, then swap it.
    const marker = 'REDACTEDMARKER';
    if (u.password) u.password = marker;
    for (const name of [...u.searchParams.keys()]) {
      if (/pass|secret|key/i.test(name)) u.searchParams.set(name, marker);
    }
    return u.toString().replaceAll(marker, REDACTED);
  } catch {
    return REDACTED;
  }
}
