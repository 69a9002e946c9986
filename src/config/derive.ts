/**
 * Rules that involve more than one setting, and the values derived from the settings (the
 * issuer of provider mode). Only the rules of the selected mode apply.
 */
import { issuerFromDiscovery, WELL_KNOWN } from '@jwt-oidc/resource';
import type { RawSettings, SettingKey } from './definitions.js';

export { issuerFromDiscovery };

export interface Settings extends RawSettings {
  /** provider and fake modes: the issuer identifier, byte for byte (OIDC Discovery §3). */
  issuer: string | undefined;
  /** `NODE_ENV === 'production'`. */
  production: boolean;
  /** JWT_OIDC_DATA_DIR, or the mode's own default (DEFAULT_DATA_DIRS). */
  dataDir: string;
}

/**
 * Each mode keeps its local state apart: a client-mode login that creates users must never
 * write into the provider's database of the same checkout (docs: README "The embedded PostgreSQL").
 */
export const DEFAULT_DATA_DIRS = { provider: '.data', client: '.data/client', fake: '.data/fake' } as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * JWT_OIDC_DISCOVERY_ENDPOINT names a provider (the upstream one in client mode, this service in
 * provider and fake modes) in either form, read by `issuerFromDiscovery` of @jwt-oidc/resource,
 * as `discoveryEndpoint` of @jwt-oidc/express reads it.
 */
const DISCOVERY_FORMS = `expected an issuer URL or <issuer>${WELL_KNOWN}, without query, fragment or credentials`;

/**
 * Whether password reset by mail is on (docs/ACCOUNTS.md): as set, else wherever its mail reaches
 * someone — an SMTP server, or the log outside production (development).
 */
export function passwordResetOn(s: Pick<Settings, 'passwordReset' | 'smtpUrl' | 'production'>): boolean {
  return s.passwordReset ?? (s.smtpUrl !== undefined || !s.production);
}

/**
 * Whether self-registration is open (docs/ACCOUNTS.md): provider mode only, where the
 * confirmation link reaches someone — an SMTP server, or the log outside production (the
 * cross-field rule refuses `open` in production without SMTP_URL).
 */
export function registrationOn(s: Pick<Settings, 'type' | 'registration'>): boolean {
  return s.type === 'provider' && s.registration === 'open';
}

/**
 * Whether administrators may invite (docs/ACCOUNTS.md "Invitations"): provider mode with
 * REGISTRATION `invite` or `open`. As for registration, the cross-field rule refuses both in
 * production without SMTP_URL, so the link reaches someone.
 */
export function invitationsOn(s: Pick<Settings, 'type' | 'registration'>): boolean {
  return s.type === 'provider' && (s.registration === 'invite' || s.registration === 'open');
}

/** Returns one line per broken rule; `name(key)` is where that setting was given. */
export function checkCrossFieldRules(s: RawSettings, name: (key: SettingKey) => string): string[] {
  const problems: string[] = [];
  const production = s.nodeEnv === 'production';
  // The fake mode is the provider (docs/ARCHITECTURE.md "The fake mode"): its rules apply to both.
  if (s.type === 'provider' || s.type === 'fake') {
    if (s.keyPrepublishTime >= s.jwkExpirationTime) {
      problems.push(
        `${name('keyPrepublishTime')}: expected less than JWT_OIDC_JWK_EXPIRATION_TIME (${s.jwkExpirationTime}); got ${s.keyPrepublishTime}`,
      );
    }
    if (s.jwtRefreshTokenExpirationTime < s.jwtAccessTokenExpirationTime) {
      problems.push(
        `${name('jwtRefreshTokenExpirationTime')}: expected at least JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME (${s.jwtAccessTokenExpirationTime}); got ${s.jwtRefreshTokenExpirationTime}`,
      );
    }
    if (s.issuer === undefined && s.discoveryEndpoint !== undefined && !issuerFromDiscovery(s.discoveryEndpoint)) {
      problems.push(`${name('discoveryEndpoint')}: ${DISCOVERY_FORMS} (or set JWT_OIDC_ISSUER); got "${s.discoveryEndpoint}"`);
    }
    if (production && !s.keyEncryptionSecret?.length) {
      problems.push(`JWT_OIDC_KEY_ENCRYPTION_SECRET: required when NODE_ENV=production (private signing keys are encrypted with it)`);
    }
    const issuer = s.issuer ?? (s.discoveryEndpoint && issuerFromDiscovery(s.discoveryEndpoint));
    if (production && s.type === 'provider' && s.passwordReset === true && s.smtpUrl === undefined) {
      problems.push(`${name('passwordReset')}: needs JWT_OIDC_SMTP_URL when NODE_ENV=production (the reset link goes by mail); set it, or JWT_OIDC_PASSWORD_RESET=false`);
    }
    if (production && s.type === 'provider' && s.registration === 'open' && s.smtpUrl === undefined) {
      problems.push(`${name('registration')}: needs JWT_OIDC_SMTP_URL when NODE_ENV=production (the link that confirms a new account's address goes by mail); set it, or JWT_OIDC_REGISTRATION=off`);
    }
    if (production && s.type === 'provider' && s.registration === 'invite' && s.smtpUrl === undefined) {
      problems.push(`${name('registration')}: needs JWT_OIDC_SMTP_URL when NODE_ENV=production (an invitation's link goes by mail); set it, or JWT_OIDC_REGISTRATION=off`);
    }
    if (production && issuer === undefined) {
      problems.push(`JWT_OIDC_ISSUER: required when NODE_ENV=production (or JWT_OIDC_DISCOVERY_ENDPOINT)`);
    } else if (production && issuer && !isSecureIssuer(issuer)) {
      problems.push(
        `${name(s.issuer ? 'issuer' : 'discoveryEndpoint')}: expected an https issuer when NODE_ENV=production; got "${issuer}"`,
      );
    }
  }
  if (s.type === 'fake') {
    if (production && !s.fakeAllowProduction) {
      problems.push(`JWT_OIDC_TYPE: the fake provider logs anyone in as anyone and refuses to start when NODE_ENV=production (set JWT_OIDC_FAKE_ALLOW_PRODUCTION=true if you really mean it)`);
    }
    if (s.clientId === undefined) problems.push(`JWT_OIDC_CLIENT_ID: required when JWT_OIDC_TYPE=fake (the client id your frontend uses)`);
  }
  if (s.type === 'client') {
    if (s.discoveryEndpoint === undefined) {
      problems.push(`JWT_OIDC_DISCOVERY_ENDPOINT: required when JWT_OIDC_TYPE=client`);
    } else if (!issuerFromDiscovery(s.discoveryEndpoint)) {
      problems.push(`${name('discoveryEndpoint')}: ${DISCOVERY_FORMS}; got "${s.discoveryEndpoint}"`);
    }
    if (s.clientId === undefined) problems.push(`JWT_OIDC_CLIENT_ID: required when JWT_OIDC_TYPE=client`);
    if (s.responseType !== 'code') {
      problems.push(
        `${name('responseType')}: expected "code" in client mode (a server-side relying party can bind only the code flow's response to the browser's session); got "${s.responseType}"`,
      );
    }
    if (s.clientSecret === undefined && !s.pkceExtension) {
      problems.push(
        `${name('pkceExtension')}: expected true for a public client (no JWT_OIDC_CLIENT_SECRET) using the code flow; got false`,
      );
    }
  }
  return problems;
}

export function deriveSettings(s: RawSettings): Settings {
  let issuer: string | undefined;
  if (s.type === 'provider' || s.type === 'fake') {
    issuer =
      s.issuer ??
      (s.discoveryEndpoint ? issuerFromDiscovery(s.discoveryEndpoint) : undefined) ??
      `http://localhost:${s.port}`;
  }
  return { ...s, issuer, production: s.nodeEnv === 'production', dataDir: s.dataDir ?? DEFAULT_DATA_DIRS[s.type] };
}

/** https, or http on a loopback host (a container tried out on one machine). */
function isSecureIssuer(issuer: string): boolean {
  const u = new URL(issuer);
  return u.protocol === 'https:' || LOOPBACK.has(u.hostname);
}
