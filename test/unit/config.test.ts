import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitions, SETTING_KEYS } from '../../src/config/definitions.js';
import { ConfigError, loadSettings, parseEnv } from '../../src/config/load.js';
import { invitationsOn, passwordResetOn, registrationOn } from '../../src/config/derive.js';
import { redactedSettings, redactUrlPassword } from '../../src/config/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-config-'));
function file(content: unknown, name = `c${Math.random()}.json`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problems(env: Record<string, string>, configFile?: string): string[] {
  try {
    loadSettings({ env, configFile });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('settings: sources and defaults', () => {
  it('has every setting of the original with its default', () => {
    const { settings } = loadSettings({ env: {} });
    expect(settings).toMatchObject({
      type: 'provider',
      responseType: 'code',
      scope: 'openid',
      identificationClaim: 'sub',
      idTokenRenameAttributes: {},
      createUser: false,
      userDefaultAttributes: {},
      codeChallengeMethod: 'S256',
      loginRedirectUrl: '/',
      logoutRedirectUrl: '/',
      signatureAlg: 'ES256',
      jwkExpirationTime: 3600,
      jwtIdTokenExpirationTime: 2700,
      jwtAccessTokenExpirationTime: 600,
      jwtRefreshTokenExpirationTime: 3600,
      maxRefresh: 10,
      userinfoSerializerExclude: ['password'],
      keyPrepublishTime: 600,
      authorizationCodeExpirationTime: 60,
      port: 3000,
      dataDir: '.data',
      migrateOnStart: true,
      issuer: 'http://localhost:3000',
    });
    for (const name of [
      'DISCOVERY_ENDPOINT', 'CLIENT_ID', 'CLIENT_SECRET', 'CLIENT_DISPLAY', 'CLIENT_PROMPT', 'CLIENT_MAX_AGE',
      'CLIENT_UI_LOCALES', 'CLIENT_CLAIMS_LOCALES', 'CLIENT_ID_TOKEN_HINT', 'CLIENT_LOGIN_HINT', 'CLIENT_ACR_VALUES',
      'USERINFO_SERIALIZER', 'LOGIN_URL', 'PKCE_EXTENSION',
    ]) {
      expect(SETTING_KEYS.some((k) => definitions[k].env === `JWT_OIDC_${name}`), name).toBe(true);
    }
  });

  it('layers defaults, then the JSON file, then the environment', () => {
    const path = file({ signatureAlg: 'RS256', jwkExpirationTime: 7200, maxRefresh: null });
    const { settings, sources } = loadSettings({ env: { JWT_OIDC_CONFIG: path, JWT_OIDC_SIGNATURE_ALG: 'EdDSA' } });
    expect(settings.signatureAlg).toBe('EdDSA');
    expect(sources.signatureAlg).toBe('env');
    expect(settings.jwkExpirationTime).toBe(7200);
    expect(sources.jwkExpirationTime).toBe('file');
    expect(settings.maxRefresh).toBeNull();
    expect(sources.port).toBe('default');
  });

  it('prefers --config over JWT_OIDC_CONFIG', () => {
    const a = file({ port: 4001 });
    const b = file({ port: 4002 });
    expect(loadSettings({ env: { JWT_OIDC_CONFIG: a }, configFile: b }).settings.port).toBe(4002);
  });

  it('parses environment strings by kind', () => {
    expect(parseEnv('42', 'int')).toBe(42);
    expect(parseEnv('null', 'int')).toBeNull();
    expect(parseEnv('yes', 'bool')).toBe(true);
    expect(parseEnv('OFF', 'bool')).toBe(false);
    expect(parseEnv('a, b,,c', 'list')).toEqual(['a', 'b', 'c']);
    expect(parseEnv('["x,y"]', 'list')).toEqual(['x,y']);
    expect(parseEnv('{"a":"email"}', 'json')).toEqual({ a: 'email' });
    const { settings } = loadSettings({
      env: { JWT_OIDC_MAX_REFRESH: 'unlimited', JWT_OIDC_MIGRATE_ON_START: 'false', PORT: '8080', JWT_OIDC_USERINFO_SERIALIZER_EXCLUDE: 'password,email' },
    });
    expect(settings).toMatchObject({ maxRefresh: null, migrateOnStart: false, port: 8080, userinfoSerializerExclude: ['password', 'email'] });
  });

  it('treats an empty variable as unset', () => {
    expect(loadSettings({ env: { JWT_OIDC_SIGNATURE_ALG: '', PORT: ' ' } }).settings).toMatchObject({ signatureAlg: 'ES256', port: 3000 });
  });

  it('derives the issuer from the discovery endpoint, or takes ISSUER as given', () => {
    const derived = loadSettings({ env: { JWT_OIDC_DISCOVERY_ENDPOINT: 'https://id.example.com/tenant/.well-known/openid-configuration' } });
    expect(derived.settings.issuer).toBe('https://id.example.com/tenant');
    // The same setting in its other form, the issuer itself (as @jwt-oidc/express takes it).
    expect(loadSettings({ env: { JWT_OIDC_DISCOVERY_ENDPOINT: 'https://id.example.com/tenant' } }).settings.issuer).toBe('https://id.example.com/tenant');
    const explicit = loadSettings({ env: { JWT_OIDC_ISSUER: 'https://id.example.com/' } });
    expect(explicit.settings.issuer).toBe('https://id.example.com/');
  });
});

describe('settings: every kind of error', () => {
  it('names the variable and what is expected for a bad enum', () => {
    expect(problems({ JWT_OIDC_SIGNATURE_ALG: 'HS999' })).toEqual([
      'JWT_OIDC_SIGNATURE_ALG: expected one of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA; got "HS999"',
    ]);
  });

  it('reports one line per problem, all at once', () => {
    const lines = problems({ JWT_OIDC_SIGNATURE_ALG: 'none', PORT: '70000', JWT_OIDC_MIGRATE_ON_START: 'maybe', JWT_OIDC_JWK_EXPIRATION_TIME: '1.5' });
    expect(lines).toHaveLength(4);
    expect(lines).toContain('PORT: expected a port number 0–65535; got 70000');
    expect(lines).toContain('JWT_OIDC_MIGRATE_ON_START: expected true or false; got "maybe"');
    expect(lines).toContain('JWT_OIDC_JWK_EXPIRATION_TIME: expected a whole number of seconds ≥ 10; got "1.5"');
  });

  it('rejects malformed JSON and lists', () => {
    expect(problems({ JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/.well-known/openid-configuration', JWT_OIDC_CLIENT_ID: 'rp1', JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: '{nope' })[0]).toMatch(
      /^JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: expected a JSON object .*; got "\{nope"$/,
    );
    expect(problems({ JWT_OIDC_USERINFO_SERIALIZER_EXCLUDE: '[1,2' })[0]).toMatch(/^JWT_OIDC_USERINFO_SERIALIZER_EXCLUDE: expected a list/);
  });

  it('never lets a claim write admin or active flags', () => {
    const env = { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/.well-known/openid-configuration', JWT_OIDC_CLIENT_ID: 'rp1' };
    expect(problems({ ...env, JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: '{"role":"admin"}' })[0]).toMatch(/^JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: expected/);
    expect(problems({ ...env, JWT_OIDC_USER_DEFAULT_ATTRIBUTES: '{"admin":true}' })[0]).toMatch(/^JWT_OIDC_USER_DEFAULT_ATTRIBUTES: expected/);
  });

  it('refuses unknown variables with the prefix, suggesting the likely one', () => {
    expect(problems({ JWT_OIDC_SIGNATUR_ALG: 'ES256' })).toEqual(['JWT_OIDC_SIGNATUR_ALG: unknown setting (did you mean JWT_OIDC_SIGNATURE_ALG?)']);
  });

  it('reports file problems: unreadable, not JSON, not an object, unknown keys, bad values', () => {
    expect(problems({}, join(dir, 'missing.json'))[0]).toMatch(/missing\.json: cannot read the config file \(ENOENT\)$/);
    expect(problems({}, file('{"port": 1,'))[0]).toMatch(/: not valid JSON \(/);
    expect(problems({}, file('[1,2]'))[0]).toMatch(/: expected a JSON object of settings; got \[1,2\]$/);
    expect(problems({}, file({ SIGNATURE_ALG: 'ES256' }))[0]).toMatch(/: unknown setting "SIGNATURE_ALG" \(did you mean "signatureAlg"\?\)$/);
    const path = file({ jwtAccessTokenExpirationTime: '600' });
    expect(problems({}, path)).toEqual([`${path}: jwtAccessTokenExpirationTime: expected a whole number of seconds ≥ 1; got "600"`]);
  });

  it('checks rules between settings', () => {
    expect(problems({ JWT_OIDC_KEY_PREPUBLISH_TIME: '3600' })).toEqual([
      'JWT_OIDC_KEY_PREPUBLISH_TIME: expected less than JWT_OIDC_JWK_EXPIRATION_TIME (3600); got 3600',
    ]);
    expect(problems({ JWT_OIDC_JWT_REFRESH_TOKEN_EXPIRATION_TIME: '60' })[0]).toMatch(/^JWT_OIDC_JWT_REFRESH_TOKEN_EXPIRATION_TIME: expected at least/);
    // An issuer URL or <issuer>/.well-known/openid-configuration; an issuer has no query (OIDC Discovery §3).
    expect(problems({ JWT_OIDC_DISCOVERY_ENDPOINT: 'https://id.example.com/.well-known/openid-configuration?tenant=1' })[0]).toMatch(/expected an issuer URL or <issuer>\/\.well-known\/openid-configuration/);
    expect(problems({ JWT_OIDC_TYPE: 'client', JWT_OIDC_CLIENT_ID: 'rp1', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/?x=1' })[0]).toMatch(/^JWT_OIDC_DISCOVERY_ENDPOINT: expected an issuer URL/);
  });

  it('is strict in production: an https issuer and a key encryption secret are required', () => {
    const secret = { JWT_OIDC_KEY_ENCRYPTION_SECRET: 'x'.repeat(32) };
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'JWT_OIDC_KEY_ENCRYPTION_SECRET: required when NODE_ENV=production (private signing keys are encrypted with it)',
      'JWT_OIDC_ISSUER: required when NODE_ENV=production (or JWT_OIDC_DISCOVERY_ENDPOINT)',
    ]);
    expect(problems({ NODE_ENV: 'production', ...secret, JWT_OIDC_ISSUER: 'http://id.example.com' })[0]).toMatch(/expected an https issuer/);
    expect(loadSettings({ env: { NODE_ENV: 'production', ...secret, JWT_OIDC_ISSUER: 'https://id.example.com' } }).settings.production).toBe(true);
    // Loopback http is allowed, for trying the production image on one machine.
    expect(loadSettings({ env: { NODE_ENV: 'production', ...secret, JWT_OIDC_ISSUER: 'http://localhost:3000' } }).settings.issuer).toBe('http://localhost:3000');
  });

  it('validates the settings of the selected mode only', () => {
    // provider mode: a broken client-mode value is accepted and left at its default
    expect(loadSettings({ env: { JWT_OIDC_CLIENT_MAX_AGE: 'soon', JWT_OIDC_CLIENT_PROMPT: 'bogus' } }).settings.clientMaxAge).toBeUndefined();
    // client mode: the same values are errors, and the provider's are not checked
    const lines = problems({
      JWT_OIDC_TYPE: 'client',
      JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/.well-known/openid-configuration',
      JWT_OIDC_CLIENT_ID: 'rp1',
      JWT_OIDC_CLIENT_MAX_AGE: 'soon',
      JWT_OIDC_CLIENT_PROMPT: 'none login',
      JWT_OIDC_SIGNATURE_ALG: 'HS999',
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^JWT_OIDC_CLIENT_PROMPT: expected/);
    expect(lines[1]).toMatch(/^JWT_OIDC_CLIENT_MAX_AGE: expected/);
  });

  it('requires what client mode cannot work without', () => {
    expect(problems({ JWT_OIDC_TYPE: 'client' })).toEqual([
      'JWT_OIDC_DISCOVERY_ENDPOINT: required when JWT_OIDC_TYPE=client',
      'JWT_OIDC_CLIENT_ID: required when JWT_OIDC_TYPE=client',
    ]);
    expect(
      problems({ JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/.well-known/openid-configuration', JWT_OIDC_CLIENT_ID: 'rp1', JWT_OIDC_PKCE_EXTENSION: 'false' })[0],
    ).toMatch(/^JWT_OIDC_PKCE_EXTENSION: expected true for a public client/);
  });

  it('rejects redirect targets on other origins', () => {
    const env = { JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'https://op.example/.well-known/openid-configuration', JWT_OIDC_CLIENT_ID: 'rp1' };
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      expect(problems({ ...env, JWT_OIDC_LOGIN_REDIRECT_URL: bad })[0], bad).toMatch(/^JWT_OIDC_LOGIN_REDIRECT_URL: expected a same-origin path/);
    }
    expect(loadSettings({ env: { ...env, JWT_OIDC_LOGOUT_REDIRECT_URL: '/bye?x=1' } }).settings.logoutRedirectUrl).toBe('/bye?x=1');
  });

  it('never prints a secret value in an error', () => {
    const lines = problems({ JWT_OIDC_KEY_ENCRYPTION_SECRET: 'too-short-secret' });
    expect(lines).toEqual([expect.stringMatching(/^JWT_OIDC_KEY_ENCRYPTION_SECRET: expected .*; got a value that is not shown \(secret\)$/)]);
    expect(lines.join()).not.toContain('too-short-secret');
  });
});

describe('settings: redaction', () => {
  it('hides secrets and database passwords', () => {
    const loaded = loadSettings({
      env: {
        DATABASE_URL: 'postgres://app:s3cret@db:5432/app?sslpassword=x',
        JWT_OIDC_KEY_ENCRYPTION_SECRET: 'a'.repeat(40) + ',' + 'b'.repeat(40),
        JWT_OIDC_CLIENT_SECRET: 'client-secret-value',
      },
    });
    const shown = JSON.stringify(redactedSettings(loaded));
    expect(shown).not.toMatch(/s3cret|aaaa|bbbb|client-secret-value/);
    expect(redactUrlPassword('postgres://app:s3cret@db:5432/app')).toBe('postgres://app:[redacted]@db:5432/app');
  });
});

describe('settings: password reset and mail', () => {
  const production = { NODE_ENV: 'production', JWT_OIDC_ISSUER: 'https://id.example.com', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };

  it('refuses PASSWORD_RESET=true in production without SMTP_URL (the link goes by mail), and takes it with one', () => {
    expect(problems({ ...production, JWT_OIDC_PASSWORD_RESET: 'true' })).toEqual([expect.stringContaining('JWT_OIDC_PASSWORD_RESET: needs JWT_OIDC_SMTP_URL when NODE_ENV=production')]);
    expect(() => loadSettings({ env: { ...production, JWT_OIDC_PASSWORD_RESET: 'true', JWT_OIDC_SMTP_URL: 'smtps://u:p@mail.example.com:465' } })).not.toThrow();
  });

  it('turns reset on where mail reaches someone: with SMTP_URL, or outside production (the log); off in production without it', () => {
    expect(passwordResetOn(loadSettings({ env: {} }).settings)).toBe(true);
    expect(passwordResetOn(loadSettings({ env: production }).settings)).toBe(false);
    expect(passwordResetOn(loadSettings({ env: { ...production, JWT_OIDC_SMTP_URL: 'smtp://mail.example.com:587' } }).settings)).toBe(true);
    expect(passwordResetOn(loadSettings({ env: { JWT_OIDC_PASSWORD_RESET: 'false' } }).settings)).toBe(false);
  });
});

describe('settings: registration', () => {
  const production = { NODE_ENV: 'production', JWT_OIDC_ISSUER: 'https://id.example.com', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };

  it('is off by default, open when asked, and only in provider mode', () => {
    expect(loadSettings({ env: {} }).settings).toMatchObject({ registration: 'off', emailVerificationLifetime: 86400 });
    expect(registrationOn(loadSettings({ env: {} }).settings)).toBe(false);
    expect(registrationOn(loadSettings({ env: { JWT_OIDC_REGISTRATION: 'open' } }).settings)).toBe(true);
    expect(registrationOn({ type: 'fake', registration: 'open' })).toBe(false);
    expect(problems({ JWT_OIDC_REGISTRATION: 'anyone' })).toEqual([expect.stringContaining('JWT_OIDC_REGISTRATION: expected one of off, invite, open')]);
    expect(problems({ JWT_OIDC_EMAIL_VERIFICATION_LIFETIME: '30' })).toEqual([expect.stringContaining('JWT_OIDC_EMAIL_VERIFICATION_LIFETIME')]);
  });

  it('refuses REGISTRATION=open in production without SMTP_URL (the confirmation link goes by mail), naming both, and takes it with one', () => {
    expect(problems({ ...production, JWT_OIDC_REGISTRATION: 'open' })).toEqual([expect.stringMatching(/^JWT_OIDC_REGISTRATION: needs JWT_OIDC_SMTP_URL when NODE_ENV=production/)]);
    expect(() => loadSettings({ env: { ...production, JWT_OIDC_REGISTRATION: 'open', JWT_OIDC_SMTP_URL: 'smtps://u:p@mail.example.com:465' } })).not.toThrow();
    expect(() => loadSettings({ env: { ...production, JWT_OIDC_REGISTRATION: 'off' } })).not.toThrow();
  });

  it('invite: invitations without the sign-in page\'s registration; open has both; off neither; INVITATION_LIFETIME defaults to 7 days', () => {
    expect(loadSettings({ env: {} }).settings).toMatchObject({ invitationLifetime: 7 * 24 * 3600 });
    const invite = loadSettings({ env: { JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_INVITATION_LIFETIME: '3600' } }).settings;
    expect(invite.invitationLifetime).toBe(3600);
    expect([invitationsOn(invite), registrationOn(invite)]).toEqual([true, false]);
    const open = loadSettings({ env: { JWT_OIDC_REGISTRATION: 'open' } }).settings;
    expect([invitationsOn(open), registrationOn(open)]).toEqual([true, true]);
    expect(invitationsOn(loadSettings({ env: {} }).settings)).toBe(false);
    expect(invitationsOn({ type: 'fake', registration: 'invite' })).toBe(false);
    expect(problems({ JWT_OIDC_INVITATION_LIFETIME: '30' })).toEqual([expect.stringContaining('JWT_OIDC_INVITATION_LIFETIME')]);
  });

  it('refuses REGISTRATION=invite in production without SMTP_URL (the invitation goes by mail), and takes it with one', () => {
    expect(problems({ ...production, JWT_OIDC_REGISTRATION: 'invite' })).toEqual([expect.stringMatching(/^JWT_OIDC_REGISTRATION: needs JWT_OIDC_SMTP_URL when NODE_ENV=production \(an invitation/)]);
    expect(() => loadSettings({ env: { ...production, JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_SMTP_URL: 'smtps://u:p@mail.example.com:465' } })).not.toThrow();
  });
});
