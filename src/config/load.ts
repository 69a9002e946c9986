/**
 * Loading the settings. Sources, later wins: defaults → a JSON file (`--config FILE` or
 * `JWT_OIDC_CONFIG`) → the environment. Every problem is collected, so a bad deployment learns
 * everything that is wrong in one go, one line per problem, each naming where the value came from.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import {
  appliesTo,
  definitions,
  SETTING_KEYS,
  type EnvKind,
  type Mode,
  type RawSettings,
  type SettingKey,
} from './definitions.js';
import { checkCrossFieldRules, deriveSettings, type Settings } from './derive.js';

export type { Settings } from './derive.js';

/** Thrown when settings cannot be used; `problems` has one human-readable line per problem. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export type SettingSource = 'default' | 'file' | 'env';

export interface LoadedSettings {
  settings: Settings;
  /** Where each setting's value came from. */
  sources: Record<SettingKey, SettingSource>;
  /** Path of the JSON config file that was read, if any. */
  configFile?: string;
}

export interface LoadSettingsOptions {
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A JSON config file; overrides `JWT_OIDC_CONFIG`. */
  configFile?: string;
  /** Base for a relative config file path (default `process.cwd()`). */
  cwd?: string;
}

/** Environment variables with the prefix that are not settings themselves. */
const NON_SETTING_ENV = new Set(['JWT_OIDC_CONFIG']);
const ENV_PREFIX = 'JWT_OIDC_';

const envToKey = new Map<string, SettingKey>(SETTING_KEYS.map((k) => [definitions[k].env, k]));

export function loadSettings(options: LoadSettingsOptions = {}): LoadedSettings {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const raw: Partial<Record<SettingKey, { value: unknown; source: SettingSource; from: string }>> = {};

  const configFile = options.configFile ?? nonEmpty(env.JWT_OIDC_CONFIG);
  let configPath: string | undefined;
  if (configFile !== undefined) {
    configPath = resolve(options.cwd ?? process.cwd(), configFile);
    for (const [key, value] of Object.entries(readConfigFile(configPath, problems))) {
      if (!(key in definitions)) {
        problems.push(`${configPath}: unknown setting "${key}"${suggestKey(key)}`);
        continue;
      }
      raw[key as SettingKey] = { value, source: 'file', from: `${configPath}: ${key}` };
    }
  }

  for (const [name, value] of Object.entries(env)) {
    const key = envToKey.get(name);
    if (key === undefined) {
      if (name.startsWith(ENV_PREFIX) && !NON_SETTING_ENV.has(name)) {
        problems.push(`${name}: unknown setting${suggestEnv(name)}`);
      }
      continue;
    }
    // An empty variable means "unset": `FOO=` in a compose file must not turn into a bad value.
    if (value === undefined || value.trim() === '') continue;
    raw[key] = { value: parseEnv(value, definitions[key].kind), source: 'env', from: name };
  }

  const mode = resolveMode(raw.type);
  const values = {} as Record<SettingKey, unknown>;
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const key of SETTING_KEYS) {
    const def = definitions[key];
    const given = raw[key];
    sources[key] = given?.source ?? 'default';
    if (given === undefined || given.value === undefined) {
      values[key] = def.default;
      continue;
    }
    const parsed = (def.schema as z.ZodType).safeParse(given.value);
    if (parsed.success) {
      values[key] = parsed.data;
    } else if (mode === undefined || appliesTo(def, mode)) {
      problems.push(`${given.from}: expected ${def.expect}; got ${show(given.value, def.secret)}`);
    } else {
      // Settings of other modes are accepted but not validated: keep the default.
      values[key] = def.default;
      sources[key] = 'default';
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  const settings = values as RawSettings;
  const name = (key: SettingKey) => (raw[key]?.from ?? definitions[key].env);
  problems.push(...checkCrossFieldRules(settings, name));
  if (problems.length > 0) throw new ConfigError(problems);
  return { settings: deriveSettings(settings), sources, configFile: configPath };
}

/** The mode decides which settings are validated; an invalid mode is reported with the rest. */
function resolveMode(given: { value: unknown } | undefined): Mode | undefined {
  if (given === undefined) return definitions.type.default;
  const parsed = definitions.type.schema.safeParse(given.value);
  return parsed.success ? parsed.data : undefined;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${path}: cannot read the config file (${code})`);
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(`${path}: not valid JSON (${(e as Error).message})`);
    return {};
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push(`${path}: expected a JSON object of settings; got ${show(json)}`);
    return {};
  }
  return json as Record<string, unknown>;
}

/** Turns an environment string into the value its setting's schema expects. */
export function parseEnv(value: string, kind: EnvKind): unknown {
  const v = value.trim();
  switch (kind) {
    case 'string':
      return v;
    case 'int':
      if (/^(null|unlimited)$/i.test(v)) return null;
      return /^[+-]?\d{1,15}$/.test(v) ? Number(v) : v;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(v)) return true;
      if (/^(false|0|no|off)$/i.test(v)) return false;
      return v;
    case 'json':
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    case 'list':
      if (v.startsWith('[')) {
        try {
          return JSON.parse(v);
        } catch {
          return v;
        }
      }
      return v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
  }
}

function show(value: unknown, secret = false): string {
  if (secret) return 'a value that is not shown (secret)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** `SIGNATURE_ALG` or `signature_alg` in a file is a likely slip for `signatureAlg`. */
function suggestKey(key: string): string {
  const normal = key.replace(/^JWT_OIDC_/i, '').replace(/[_-]/g, '').toLowerCase();
  const match = SETTING_KEYS.find((k) => k.toLowerCase() === normal);
  return match ? ` (did you mean "${match}"?)` : '';
}

function suggestEnv(name: string): string {
  const target = name.slice(ENV_PREFIX.length);
  let best: { env: string; d: number } | undefined;
  for (const key of SETTING_KEYS) {
    const env = definitions[key].env;
    const d = distance(target, env.replace(ENV_PREFIX, ''));
    if (d <= 2 && (best === undefined || d < best.d)) best = { env, d };
  }
  return best ? ` (did you mean ${best.env}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
