/**
 * Every setting of jwt-oidc, in one place: its environment name, how an environment string is
 * parsed, its validation, its default, the modes it belongs to, whether it is secret, and its
 * documentation. The README's settings table is generated from this file (`npm run
 * docs:settings`), and a test fails when the two differ.
 *
 * Names follow the original django-jwt-oidc settings: the environment name is `JWT_OIDC_` + the
 * original name, the key in code and in a JSON config file is its camelCase form.
 */
// Settings are infrastructure (docs/ARCHITECTURE.md, "Layers"): the relying party's allow-list
// from its own module, not from the package's index, which also loads Express and openid-client.
import { WRITABLE_USER_FIELDS } from '@jwt-oidc/express/user-mapping';
import { ASYMMETRIC_ALGORITHMS } from '@jwt-oidc/resource';
import { z } from 'zod';
// Pure parsers without imports: the settings accept exactly what the mailer then uses.
import { parseMailbox } from '../mail/address.js';
import { parseSmtpUrl, SMTP_URL_EXPECT } from '../mail/smtp-url.js';

export const MODES = ['provider', 'client', 'fake'] as const;
export type Mode = (typeof MODES)[number];

/** How a value given as an environment string becomes a typed value before validation. */
export type EnvKind = 'string' | 'int' | 'bool' | 'json' | 'list';

export interface SettingDefinition<S extends z.ZodType = z.ZodType> {
  /** Environment variable that sets it. */
  env: string;
  /** How the environment string is parsed. */
  kind: EnvKind;
  /** Validation of the parsed value (file values and environment values alike). */
  schema: S;
  /** Used when no source sets the value; `undefined` for an optional setting. */
  default: z.output<S> | undefined;
  /** Whether the setting may stay unset. */
  optional: boolean;
  /** Modes in which the setting is validated; other modes accept it without validation. */
  modes: readonly Mode[] | 'all';
  /** Secret values are redacted by `jwt-oidc config` and never logged. */
  secret?: boolean;
  /** What a valid value looks like, for error messages ("expected …"). */
  expect: string;
  /** One or two sentences for the README. */
  doc: string;
  /** How the default is shown in the README when it is not a plain value. */
  defaultDoc?: string;
}

type Described<S extends z.ZodType> = Omit<SettingDefinition<S>, 'default' | 'optional'>;

/** A setting with a default value. */
const define = <S extends z.ZodType>(d: Described<S> & { default: z.output<S> }) => ({ ...d, optional: false as const });
/** A setting that is unset unless a source sets it. */
const optional = <S extends z.ZodType>(d: Described<S>) => ({ ...d, default: undefined, optional: true as const });

/**
 * What the provider may sign with: every algorithm of @jwt-oidc/resource's table, which a
 * resource server accepts by default. A narrower choice would be a filter of that table here.
 */
export const SIGNATURE_ALGS = ASYMMETRIC_ALGORITHMS;
export type SignatureAlg = (typeof SIGNATURE_ALGS)[number];

export const RESPONSE_TYPES = [
  'code',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
] as const;

/** JWT_OIDC_REGISTRATION: who may create an account: nobody but administrators, those they invite, or anyone at the sign-in page (docs/ACCOUNTS.md). */
export const REGISTRATION_MODES = ['off', 'invite', 'open'] as const;

/** JWT_OIDC_MFA: whether every sign-in must end with a second factor (docs/ACCOUNTS.md "Two-step sign-in", "The policy"). */
export const MFA_POLICIES = ['optional', 'required'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// The fields ID_TOKEN_RENAME_ATTRIBUTES and USER_DEFAULT_ATTRIBUTES may write: the relying party's allow-list.
export { WRITABLE_USER_FIELDS };

const seconds = (min: number) => z.number().int().min(min).max(10 * 365 * 24 * 3600);
const secondsExpect = (min: number) => `a whole number of seconds ≥ ${min}`;

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash && !u.username && !u.password;
    } catch {
      return false;
    }
  });

/** A path on this server ("/", "/app/home"): never another origin, never "//evil.example". */
const sameOriginPath = z
  .string()
  .refine((v) => /^\/(?![/\\])[^\s]*$/.test(v) && !v.includes('\\'));

const origin = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v;
  } catch {
    return false;
  }
});

const token = z.string().min(1).max(2048).regex(/^[\x21-\x7e]+$/);
const spaceSeparated = z.string().min(1).max(2048).regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/);

export const definitions = {
  // ---- all modes -------------------------------------------------------------------------
  type: define({
    env: 'JWT_OIDC_TYPE',
    kind: 'string',
    schema: z.enum(MODES),
    default: 'provider',
    modes: 'all',
    expect: `one of ${MODES.join(', ')}`,
    doc: 'Mode: `provider` (an OpenID Provider), `client` (a relying party / BFF), or `fake` (a development provider).',
  }),
  discoveryEndpoint: optional({
    env: 'JWT_OIDC_DISCOVERY_ENDPOINT',
    kind: 'string',
    schema: httpUrl,
    modes: 'all',
    expect: 'an http(s) URL without credentials or fragment',
    doc: 'A provider, as its issuer URL or its discovery URL (`<issuer>/.well-known/openid-configuration`); the issuer in the metadata must match exactly (OIDC Discovery §4.3). client: the upstream provider. provider, fake: this service; the issuer is derived from it unless `ISSUER` is set.',
  }),
  databaseUrl: optional({
    env: 'DATABASE_URL',
    kind: 'string',
    schema: z.string().regex(/^postgres(ql)?:\/\/.+/),
    modes: 'all',
    secret: true,
    expect: 'a postgres:// or postgresql:// URL',
    doc: 'PostgreSQL to use. Unset: an embedded PostgreSQL is started with its cluster in `<DATA_DIR>/postgres`.',
  }),
  port: define({
    env: 'PORT',
    kind: 'int',
    schema: z.number().int().min(0).max(65535),
    default: 3000,
    modes: 'all',
    expect: 'a port number 0–65535',
    doc: 'HTTP port (0 picks a free one).',
  }),
  host: define({
    env: 'HOST',
    kind: 'string',
    schema: z.string().min(1).max(255),
    default: '127.0.0.1',
    modes: 'all',
    expect: 'a host name or IP address',
    doc: 'Address to listen on. The container image sets `0.0.0.0`.',
  }),
  metricsPort: optional({
    env: 'JWT_OIDC_METRICS_PORT',
    kind: 'int',
    schema: z.number().int().min(0).max(65535),
    defaultDoc: 'unset: no metrics listener',
    modes: 'all',
    expect: 'a port number 0–65535',
    doc: 'Port of a separate HTTP listener serving Prometheus metrics at `/metrics` (0 picks a free one); never on the public port, so the numbers stay off the internet. Unset: no metrics.',
  }),
  metricsHost: define({
    env: 'JWT_OIDC_METRICS_HOST',
    kind: 'string',
    schema: z.string().min(1).max(255),
    default: '127.0.0.1',
    modes: 'all',
    expect: 'a host name or IP address',
    doc: 'Address the metrics listener (`JWT_OIDC_METRICS_PORT`) binds to. Loopback by default: expose it to the scraper only.',
  }),
  logLevel: define({
    env: 'LOG_LEVEL',
    kind: 'string',
    schema: z.enum(LOG_LEVELS),
    default: 'info',
    modes: 'all',
    expect: `one of ${LOG_LEVELS.join(', ')}`,
    doc: 'Log level. Logs are JSON lines, readable ones on a terminal.',
  }),
  nodeEnv: define({
    env: 'NODE_ENV',
    kind: 'string',
    schema: z.string().min(1).max(64),
    default: 'development',
    modes: 'all',
    expect: 'a string such as production or development',
    doc: '`production` turns on the strict defaults (no GraphQL introspection, no generated secrets, an https issuer).',
  }),
  dataDir: optional({
    env: 'JWT_OIDC_DATA_DIR',
    kind: 'string',
    schema: z.string().min(1),
    defaultDoc: '`.data` (provider), `.data/client`, `.data/fake`',
    modes: 'all',
    expect: 'a directory path',
    doc: 'Directory for local state: the embedded PostgreSQL cluster and generated development secrets. One per mode: a directory made by one mode is refused by the others.',
  }),
  migrateOnStart: define({
    env: 'JWT_OIDC_MIGRATE_ON_START',
    kind: 'bool',
    schema: z.boolean(),
    default: true,
    modes: 'all',
    expect: 'true or false',
    doc: 'Apply pending database migrations at start (`jwt-oidc migrate` applies them on demand).',
  }),
  productName: optional({
    env: 'JWT_OIDC_PRODUCT_NAME',
    kind: 'string',
    schema: z.string().trim().min(1).max(80).refine((v) => !/[\x00-\x1f\x7f]/.test(v)),
    defaultDoc: 'the host name of the public URL',
    modes: 'all',
    expect: 'a name of 1 to 80 characters',
    doc: 'The name shown at the top of every page (sign-in, consent, sign-out, errors) and in their titles.',
  }),
  logoUrl: optional({
    env: 'JWT_OIDC_LOGO_URL',
    kind: 'string',
    schema: z.string().max(2048).refine((v) => /^\/(?![/\\])\S*$/.test(v) || /^https:\/\/[^\s]+$/.test(v)),
    defaultDoc: 'none',
    modes: 'all',
    expect: 'an https URL, or a path on this host starting with a single "/"',
    doc: 'A logo shown beside the product name on every page (24 px; square images look best).',
  }),
  trustProxy: optional({
    env: 'JWT_OIDC_TRUST_PROXY',
    kind: 'string',
    schema: z.string().regex(/^(\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/),
    defaultDoc: 'unset (trust no proxy)',
    modes: 'all',
    expect: 'a hop count, or a comma-separated list of proxy addresses/CIDRs (loopback, uniquelocal…)',
    doc: 'Reverse proxies whose `X-Forwarded-For`/`-Proto` are believed (Express `trust proxy`): client addresses feed the login throttling.',
  }),
  graphqlRateLimit: define({
    env: 'JWT_OIDC_GRAPHQL_RATE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(0).max(1_000_000),
    default: 600,
    modes: 'all',
    expect: 'a whole number ≥ 0 (0: no limit)',
    doc: 'GraphQL operations\' root fields per minute per caller (per token, or per address when anonymous); every alias counts. Beyond it: 429 with `Retry-After`.',
  }),
  graphqlSubscriptionRecheck: define({
    env: 'JWT_OIDC_GRAPHQL_SUBSCRIPTION_RECHECK',
    kind: 'int',
    schema: z.number().int().min(1).max(24 * 3600),
    default: 60,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds from 1 to 86400',
    doc: 'How often the token of an open GraphQL WebSocket connection is checked again, seconds: a revoked grant or token, a disabled user or lost admin rights close it (4401) at the next check. Its `exp` closes it in any case, unless renewed.',
  }),
  auditRetention: define({
    env: 'JWT_OIDC_AUDIT_RETENTION',
    kind: 'int',
    schema: seconds(0),
    default: 30 * 24 * 3600,
    modes: ['provider', 'fake'],
    expect: secondsExpect(0),
    doc: 'How long audit events are kept in PostgreSQL for the `auditEvents` query, in seconds (default 30 days); 0 keeps none. The log is written either way.',
  }),
  passwordReset: optional({
    env: 'JWT_OIDC_PASSWORD_RESET',
    kind: 'bool',
    schema: z.boolean(),
    defaultDoc: 'on where mail reaches people or the log: with `SMTP_URL`, or outside `NODE_ENV=production`',
    modes: ['provider'],
    expect: 'true or false',
    doc: '"Forgot your password?" on the sign-in page: `/account/password-reset` mails a single-use link that sets a new password (docs/ACCOUNTS.md). `true` in production needs `SMTP_URL`; without it (development), the mail and its link are written to the log.',
  }),
  passwordResetLifetime: define({
    env: 'JWT_OIDC_PASSWORD_RESET_LIFETIME',
    kind: 'int',
    schema: seconds(60).max(24 * 3600),
    default: 30 * 60,
    modes: ['provider'],
    expect: 'seconds, 60 to 86400',
    doc: 'How long a password-reset link works, in seconds (default 30 minutes). It works once in any case, and ends when the password changes.',
  }),
  registration: define({
    env: 'JWT_OIDC_REGISTRATION',
    kind: 'string',
    schema: z.enum(REGISTRATION_MODES),
    default: 'off',
    modes: ['provider'],
    expect: `one of ${REGISTRATION_MODES.join(', ')}`,
    doc: 'Who creates accounts (docs/ACCOUNTS.md). `off`: only administrators and the CLI. `invite`: administrators may also invite an email address (`inviteUser`, `jwt-oidc users invite`): the mailed single-use link `/account/invitation/<token>` lets its receiver choose a username and password once; nobody registers at the sign-in page. `open`: invitations, and "Create an account" on the sign-in page: `/account/register` asks a username, an email address and a password, and the account signs in once the address is confirmed through a mailed single-use link. `invite` and `open` in production need `SMTP_URL`; without it (development), the mail and its link are written to the log.',
  }),
  mfa: define({
    env: 'JWT_OIDC_MFA',
    kind: 'string',
    schema: z.enum(MFA_POLICIES),
    default: 'optional',
    modes: ['provider'],
    expect: `one of ${MFA_POLICIES.join(', ')}`,
    doc: 'Two-step sign-in (docs/ACCOUNTS.md "Two-step sign-in"). `optional`: users choose to add a second factor on the account page, and only those who have one are asked for it (a client may still require it: `requireMfa`, or `acr_values=urn:jwt-oidc:mfa` in a request). `required`: every sign-in ends with a second factor — a user without one is asked to set up an authenticator app right after the right password, a live session without one is stepped up at its next authorization (`prompt=none`: `interaction_required`), and the last factor of an account cannot be removed by its user (an administrator\'s reset still works: the user sets one up at the next sign-in). Tokens of such sign-ins state `acr` `urn:jwt-oidc:mfa`. Provider mode only: the fake mode has its own `acr`/`amr` chooser and ignores it.',
  }),
  invitationLifetime: define({
    env: 'JWT_OIDC_INVITATION_LIFETIME',
    kind: 'int',
    schema: seconds(60).max(30 * 24 * 3600),
    default: 7 * 24 * 3600,
    modes: ['provider'],
    expect: 'seconds, 60 to 2592000',
    doc: 'How long the link of an invitation works, in seconds (default 7 days). It works once; inviting the same address again replaces it.',
  }),
  emailVerificationLifetime: define({
    env: 'JWT_OIDC_EMAIL_VERIFICATION_LIFETIME',
    kind: 'int',
    schema: seconds(60).max(7 * 24 * 3600),
    default: 24 * 3600,
    modes: ['provider'],
    expect: 'seconds, 60 to 604800',
    doc: 'How long the link that confirms the email address of a new account works, in seconds (default 24 hours). It works once; `/account/verify` sends a new one.',
  }),
  adminConsole: define({
    env: 'JWT_OIDC_ADMIN_CONSOLE',
    kind: 'bool',
    schema: z.boolean(),
    default: true,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'The admin console: a single-page application under `/admin` (below the issuer\'s path) that signs in through its own client `jwt-oidc-console`, registered by the service at start. While no administrator exists, `/admin` leads to the first-run page `/admin/setup`, which creates the first one (from a browser on the same machine, or with the setup code the server prints at start). `false` removes the pages and deletes the client.',
  }),
  accountPage: define({
    env: 'JWT_OIDC_ACCOUNT_PAGE',
    kind: 'bool',
    schema: z.boolean(),
    default: true,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'The account page (docs/ACCOUNTS.md): `/account` (below the issuer\'s path), where each user edits their profile, changes their email address and password, and sees and ends their sessions and the applications with access to their account. It signs in through its own client `jwt-oidc-account`, registered by the service at start. `false` removes the page and deletes the client; the other pages under `/account` (registration, invitations, password reset, the new address\'s link) have their own settings.',
  }),
  tokenRateLimit: define({
    env: 'JWT_OIDC_TOKEN_RATE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(0).max(1_000_000),
    default: 1200,
    modes: ['provider', 'fake'],
    expect: 'a whole number ≥ 0 (0: no limit)',
    doc: 'provider: token requests per minute per client, counted once the client has authenticated and named a grant it may use (failures are throttled per address instead); per instance. Its pushed authorization requests (`/par`) have a budget of the same size of their own. Beyond it: 429 with `Retry-After`.',
  }),
  requirePar: define({
    env: 'JWT_OIDC_REQUIRE_PAR',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider', 'fake'],
    expect: 'true or false',
    doc: 'Every client must push its authorization requests to `/par` (RFC 9126 Pushed Authorization Requests) and send only `client_id` and the `request_uri` it got to `/authorize`; a plain authorization request is refused with `invalid_request`. Discovery says so (`require_pushed_authorization_requests`). Off by default: a client may still be required to push on its own (`requirePar`, `jwt-oidc clients update --require-par`). The admin console and the account page push when this is on.',
  }),
  dpopNonce: define({
    env: 'JWT_OIDC_DPOP_NONCE',
    kind: 'string',
    schema: z.enum(['off', 'required']),
    default: 'off',
    modes: ['provider', 'fake'],
    expect: 'off or required',
    doc: 'provider: `required`: every DPoP proof (RFC 9449) at `/token`, `/par`, `/userinfo` and `/graphql` must carry a nonce of the provider (§8, §9); one without it, or with a stale one, is refused with `use_dpop_nonce` and a fresh nonce in the `DPoP-Nonce` header, which every response of those endpoints carries then. Nonces are derived from the key encryption secret and the time (a 5-minute window; the current and the previous one are accepted), so every instance accepts those of the others without sharing state.',
  }),
  dpopProofMaxAge: define({
    env: 'JWT_OIDC_DPOP_PROOF_MAX_AGE',
    kind: 'int',
    schema: z.number().int().min(5).max(600),
    default: 60,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds, 5 to 600',
    doc: 'provider: how old a DPoP proof (RFC 9449 §4.3 `iat`) may be, in seconds, with 5 seconds of clock skew on either side; every proof is accepted once within that time, by any instance (the database remembers them).',
  }),
  registrationPolicy: define({
    env: 'JWT_OIDC_REGISTRATION_POLICY',
    kind: 'string',
    schema: z.enum(['off', 'initial-token', 'open']),
    default: 'off',
    modes: ['provider'],
    expect: 'one of off, initial-token, open',
    doc: 'provider: Dynamic Client Registration (RFC 7591) at `/register`, and its management (RFC 7592) at `/register/<client_id>` with the registration access token it returned. `off`: `/register` answers 404 and discovery names no `registration_endpoint`. `initial-token`: a registration needs `Authorization: Bearer <initial access token>`, made by an administrator (`createInitialAccessToken`, `jwt-oidc clients registration-token`), valid until it expires or its uses are spent. `open`: anyone may register, but only public clients (`token_endpoint_auth_method=none`, PKCE), at most `JWT_OIDC_REGISTRATION_RATE_LIMIT` a minute per address. Under every policy a registered client is never first-party, admin or otherwise flagged: those stay with administrators.',
  }),
  registrationRateLimit: define({
    env: 'JWT_OIDC_REGISTRATION_RATE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(0).max(1_000_000),
    default: 10,
    modes: ['provider'],
    expect: 'a whole number ≥ 0 (0: no limit)',
    doc: 'provider: dynamic client registrations (`/register`, `JWT_OIDC_REGISTRATION_POLICY`) per minute per client address (an IPv6 one per /64), successful or refused; per instance. Beyond it: 429 with `Retry-After`. Fetches of client ID metadata documents not in the cache (new clients) spend the same budget: beyond it such a URL is an unknown client.',
  }),
  clientCacheSize: define({
    env: 'JWT_OIDC_CLIENT_CACHE_SIZE',
    kind: 'int',
    schema: z.number().int().min(1).max(10_000_000),
    default: 10_000,
    modes: ['provider', 'fake'],
    expect: 'a whole number ≥ 1',
    doc: 'provider: how many clients each instance keeps in memory (the least recently used go first), read from the database by id when missing; as many unknown client ids and CORS origins are remembered besides. A change of a client is seen at once by every instance (LISTEN/NOTIFY); a cached client is read again after at most a minute, an unknown id after 10 seconds. Memory stays bounded however many clients are registered (dynamic registration, client ID metadata documents).',
  }),
  clientIdMetadata: define({
    env: 'JWT_OIDC_CLIENT_ID_METADATA',
    kind: 'string',
    schema: z.enum(['on', 'off']),
    default: 'on',
    modes: ['provider'],
    expect: 'on or off',
    doc: 'provider: OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the MCP authorization specification\'s preferred registration): a `client_id` that is an https URL names a JSON document of the client\'s RFC 7591 metadata, which the provider fetches (public addresses only, 5 KB, no redirects, HTTP caching within 1 minute–24 hours) and validates as `jwt-oidc clients create` would. Such a client is public (`none`, PKCE), never first-party or admin, and always asks for consent, its page naming the document\'s host. Discovery says `client_id_metadata_document_supported`. `off`: such a URL is an unknown client (docs/SECURITY.md section Y).',
  }),
  clientIdMetadataHosts: define({
    env: 'JWT_OIDC_CLIENT_ID_METADATA_HOSTS',
    kind: 'list',
    schema: z.array(z.string().regex(/^[a-z0-9.-]{1,253}$|^\[[0-9a-f:.]+\]$/i, 'must be a host name')).max(1000),
    default: [],
    modes: ['provider'],
    expect: 'a list of host names (comma-separated or a JSON array)',
    doc: 'provider: the only hosts whose client ID metadata documents are accepted (exact host names, no wildcards, no port); empty: any host with public addresses. A `client_id` URL on another host is an unknown client, not fetched.',
  }),
  clientIdMetadataAllowLoopback: define({
    env: 'JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'provider: let client ID metadata documents be on a loopback address (127.0.0.0/8, ::1) — over https still — for development only. Private, link-local (169.254.169.254) and other non-public addresses are always refused.',
  }),
  jwksUriAllowLoopback: define({
    env: 'JWT_OIDC_JWKS_URI_ALLOW_LOOPBACK',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider', 'fake'],
    expect: 'true or false',
    doc: 'provider: let `private_key_jwt` clients\' `jwks_uri` be on a loopback address (127.0.0.0/8, ::1), over http too — for development only. Private, link-local and other non-public addresses are always refused (docs/SECURITY.md CA-06).',
  }),
  jwksUriTimeout: define({
    env: 'JWT_OIDC_JWKS_URI_TIMEOUT',
    kind: 'int',
    schema: z.number().int().min(1).max(30),
    default: 5,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds, 1–30',
    doc: 'provider: the deadline, in seconds, of fetching a `private_key_jwt` client\'s `jwks_uri` (resolution, connection, the whole body); beyond it the client authentication fails with `invalid_client`.',
  }),
  tokenExchangeTrustedIssuers: define({
    env: 'JWT_OIDC_TOKEN_EXCHANGE_TRUSTED_ISSUERS',
    kind: 'json',
    schema: z
      .array(
        z
          .object({
            issuer: z.string().url().max(2048),
            jwksUri: z.string().url().max(2048),
            audience: z.string().min(1).max(2048),
            subject: z.object({ claim: z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/), field: z.enum(['id', 'username', 'email']) }).strict(),
          })
          .strict(),
      )
      .max(20),
    default: [],
    modes: ['provider'],
    expect: 'a JSON list of {"issuer", "jwksUri", "audience", "subject": {"claim", "field"}} with field one of id, username, email',
    doc: 'provider: other issuers whose JWT access tokens (RFC 9068) are subject or actor tokens of a token exchange (RFC 8693): their `iss`, the https URL of their JWK Set (fetched safely, as a `jwks_uri`), the `aud` their tokens must carry for this provider, and which claim names the local user by which field, e.g. `{"claim":"email","field":"email"}`. None by default: only this provider\'s own tokens are exchanged.',
  }),
  tokenExchangeAllowLoopback: define({
    env: 'JWT_OIDC_TOKEN_EXCHANGE_ALLOW_LOOPBACK',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'provider: let a trusted issuer\'s `jwksUri` (JWT_OIDC_TOKEN_EXCHANGE_TRUSTED_ISSUERS) be on a loopback address, over http too — for development only. Private, link-local and other non-public addresses are always refused.',
  }),
  interactionRateLimit: define({
    env: 'JWT_OIDC_INTERACTION_RATE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(0).max(1_000_000),
    default: 120,
    modes: ['provider', 'fake'],
    expect: 'a whole number ≥ 0 (0: no limit)',
    doc: 'provider: sign-in and sign-out requests per minute per client address (an IPv6 one per /64) that store a pending interaction (a row of at most about 10 KB, kept 10 minutes); per instance. Beyond it: 429 with `Retry-After`. Bounds what an anonymous client can make the database hold.',
  }),
  graphqlIntrospection: optional({
    env: 'JWT_OIDC_GRAPHQL_INTROSPECTION',
    kind: 'bool',
    schema: z.boolean(),
    defaultDoc: 'on unless `NODE_ENV=production`',
    modes: 'all',
    expect: 'true or false',
    doc: 'GraphQL introspection and GraphiQL (the IDE at `/graphql` in a browser, served from this package: no CDN).',
  }),

  // ---- client mode (and fake: the client id it accepts) ----------------------------------
  clientId: optional({
    env: 'JWT_OIDC_CLIENT_ID',
    kind: 'string',
    schema: token.max(255),
    modes: ['client', 'fake'],
    expect: 'a client identifier (printable ASCII, no spaces)',
    doc: 'client: this app\'s client id at the provider. fake: the client id the fake provider accepts.',
  }),
  clientSecret: optional({
    env: 'JWT_OIDC_CLIENT_SECRET',
    kind: 'string',
    schema: z.string().min(1).max(1024),
    modes: ['client', 'fake'],
    secret: true,
    expect: 'a non-empty string',
    doc: 'client: this app\'s client secret (omit for a public client using PKCE). fake: the secret of the fake\'s client when set (`client_secret_basic` or `client_secret_post` at the token endpoint); otherwise the client is public and must use PKCE.',
  }),
  responseType: define({
    env: 'JWT_OIDC_RESPONSE_TYPE',
    kind: 'string',
    schema: z.enum(RESPONSE_TYPES),
    default: 'code',
    modes: ['client'],
    expect: `one of ${RESPONSE_TYPES.map((r) => `"${r}"`).join(', ')}`,
    doc: 'client: the flow used at login (the authorization code flow is recommended).',
  }),
  scope: define({
    env: 'JWT_OIDC_SCOPE',
    kind: 'string',
    schema: spaceSeparated.refine((v) => v.split(' ').includes('openid')),
    default: 'openid',
    modes: ['client'],
    expect: 'space-separated scopes including openid',
    doc: 'client: scopes requested at login.',
  }),
  identificationClaim: define({
    env: 'JWT_OIDC_IDENTIFICATION_CLAIM',
    kind: 'string',
    schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    default: 'sub',
    modes: ['client'],
    expect: 'a claim name',
    doc: 'client: the ID-token claim that identifies the local user.',
  }),
  idTokenRenameAttributes: define({
    env: 'JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES',
    kind: 'json',
    schema: z.record(z.string().min(1).max(128), z.enum(WRITABLE_USER_FIELDS)),
    default: {},
    modes: ['client'],
    expect: `a JSON object {claim: userField} with userField one of ${WRITABLE_USER_FIELDS.join(', ')}`,
    doc: 'client: copies ID-token claims into user fields, `{"claim": "userField"}`. Only allow-listed fields can be written, never admin or active flags.',
  }),
  createUser: define({
    env: 'JWT_OIDC_CREATE_USER',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['client'],
    expect: 'true or false',
    doc: 'client: create a local user at the first login of an unknown identity.',
  }),
  userDefaultAttributes: define({
    env: 'JWT_OIDC_USER_DEFAULT_ATTRIBUTES',
    kind: 'json',
    schema: z
      .object({
        email: z.string().max(320).optional(),
        emailVerified: z.boolean().optional(),
        givenName: z.string().max(255).optional(),
        familyName: z.string().max(255).optional(),
        locale: z.string().max(35).optional(),
        picture: z.string().max(2048).optional(),
      })
      .strict(),
    default: {},
    modes: ['client'],
    expect: `a JSON object with any of ${WRITABLE_USER_FIELDS.join(', ')}`,
    doc: 'client: field values for users created at login (copied for each user, never shared).',
  }),
  pkceExtension: define({
    env: 'JWT_OIDC_PKCE_EXTENSION',
    kind: 'bool',
    schema: z.boolean(),
    default: true,
    modes: ['client'],
    expect: 'true or false',
    doc: 'client: send PKCE (RFC 7636, S256). On by default (the original defaulted to off); providers that do not know PKCE ignore it, and RFC 9700 §2.1.1 asks for it.',
  }),
  codeChallengeMethod: define({
    env: 'JWT_OIDC_CODE_CHALLENGE_METHOD',
    kind: 'string',
    schema: z.literal('S256'),
    default: 'S256',
    modes: ['client'],
    expect: 'S256 (the only method that hides the verifier)',
    doc: 'client: PKCE method; only `S256`.',
  }),
  clientDisplay: optional({
    env: 'JWT_OIDC_CLIENT_DISPLAY',
    kind: 'string',
    schema: z.enum(['page', 'popup', 'touch', 'wap']),
    modes: ['client'],
    expect: 'one of page, popup, touch, wap',
    doc: 'client: `display` sent on the authorization request.',
  }),
  clientPrompt: optional({
    env: 'JWT_OIDC_CLIENT_PROMPT',
    kind: 'string',
    schema: z
      .string()
      .refine((v) => {
        const values = v.split(' ');
        const known = values.every((p) => ['none', 'login', 'consent', 'select_account'].includes(p));
        return known && new Set(values).size === values.length && (!values.includes('none') || values.length === 1);
      }),
    modes: ['client'],
    expect: 'space-separated values of login, consent, select_account, or none alone',
    doc: 'client: `prompt` sent on the authorization request.',
  }),
  clientMaxAge: optional({
    env: 'JWT_OIDC_CLIENT_MAX_AGE',
    kind: 'int',
    schema: seconds(0),
    modes: ['client'],
    expect: secondsExpect(0),
    doc: 'client: `max_age` sent on the authorization request (seconds since the user last authenticated).',
  }),
  clientUiLocales: optional({
    env: 'JWT_OIDC_CLIENT_UI_LOCALES',
    kind: 'string',
    schema: spaceSeparated,
    modes: ['client'],
    expect: 'space-separated BCP 47 language tags',
    doc: 'client: `ui_locales` sent on the authorization request.',
  }),
  clientClaimsLocales: optional({
    env: 'JWT_OIDC_CLIENT_CLAIMS_LOCALES',
    kind: 'string',
    schema: spaceSeparated,
    modes: ['client'],
    expect: 'space-separated BCP 47 language tags',
    doc: 'client: `claims_locales` sent on the authorization request.',
  }),
  clientIdTokenHint: optional({
    env: 'JWT_OIDC_CLIENT_ID_TOKEN_HINT',
    kind: 'string',
    schema: token,
    modes: ['client'],
    expect: 'a JWT',
    doc: 'client: `id_token_hint` sent on the authorization request.',
  }),
  clientLoginHint: optional({
    env: 'JWT_OIDC_CLIENT_LOGIN_HINT',
    kind: 'string',
    schema: z.string().min(1).max(512),
    modes: ['client'],
    expect: 'a non-empty string',
    doc: 'client: `login_hint` sent on the authorization request.',
  }),
  clientAcrValues: optional({
    env: 'JWT_OIDC_CLIENT_ACR_VALUES',
    kind: 'string',
    schema: spaceSeparated,
    modes: ['client'],
    expect: 'space-separated ACR values',
    doc: 'client: `acr_values` sent on the authorization request.',
  }),
  publicUrl: optional({
    env: 'JWT_OIDC_PUBLIC_URL',
    kind: 'string',
    schema: httpUrl.refine((v) => new URL(v).pathname === '/' && !new URL(v).search),
    defaultDoc: '`http://localhost:<PORT>`',
    modes: ['client'],
    expect: 'an http(s) origin such as https://app.example',
    doc: 'client: this service\'s public origin; the callback registered at the provider is `<PUBLIC_URL>/openid/callback`.',
  }),
  loginRedirectUrl: define({
    env: 'JWT_OIDC_LOGIN_REDIRECT_URL',
    kind: 'string',
    schema: sameOriginPath,
    default: '/',
    modes: ['client'],
    expect: 'a same-origin path starting with a single "/"',
    doc: 'client: where the browser goes after login when no `returnTo` was given.',
  }),
  logoutRedirectUrl: define({
    env: 'JWT_OIDC_LOGOUT_REDIRECT_URL',
    kind: 'string',
    schema: sameOriginPath,
    default: '/',
    modes: ['client'],
    expect: 'a same-origin path starting with a single "/"',
    doc: 'client: where the browser goes after logout.',
  }),

  // ---- provider mode ---------------------------------------------------------------------
  issuer: optional({
    env: 'JWT_OIDC_ISSUER',
    kind: 'string',
    schema: httpUrl.refine((v) => !new URL(v).search),
    defaultDoc: 'from `DISCOVERY_ENDPOINT`, else `http://localhost:<PORT>`',
    modes: ['provider', 'fake'],
    expect: 'an http(s) URL without query or fragment',
    doc: 'provider, fake: the issuer identifier, used byte for byte in discovery and tokens. Must be https when `NODE_ENV=production`.',
  }),
  signatureAlg: define({
    env: 'JWT_OIDC_SIGNATURE_ALG',
    kind: 'string',
    schema: z.enum(SIGNATURE_ALGS),
    default: 'ES256',
    modes: ['provider', 'fake'],
    expect: `one of ${SIGNATURE_ALGS.join(', ')}`,
    doc: 'provider: JWS algorithm of tokens. ES256 by default (the original used ES512, which signs ~22× slower on Node). An RS256 key is always kept too, since OIDC Discovery requires RS256 for ID tokens.',
  }),
  jwkExpirationTime: define({
    env: 'JWT_OIDC_JWK_EXPIRATION_TIME',
    kind: 'int',
    schema: seconds(10),
    default: 3600,
    modes: ['provider', 'fake'],
    expect: secondsExpect(10),
    doc: 'provider: seconds a signing key signs before the next one takes over.',
  }),
  keyPrepublishTime: define({
    env: 'JWT_OIDC_KEY_PREPUBLISH_TIME',
    kind: 'int',
    schema: seconds(1),
    default: 600,
    modes: ['provider', 'fake'],
    expect: `${secondsExpect(1)}, less than JWK_EXPIRATION_TIME`,
    doc: 'provider: seconds a new key is published in the JWKS before it signs (at least twice the JWKS cache max-age).',
  }),
  keyEncryptionSecret: optional({
    env: 'JWT_OIDC_KEY_ENCRYPTION_SECRET',
    kind: 'list',
    schema: z.array(z.string().min(32).max(1024)).min(1),
    defaultDoc: 'generated into `<DATA_DIR>` outside production',
    modes: ['provider', 'fake'],
    secret: true,
    expect: 'one or more secrets of at least 32 characters (comma-separated or a JSON array)',
    doc: 'Encrypts private signing keys at rest (AES-256-GCM). A list: the first encrypts, all decrypt. Required when `NODE_ENV=production`.',
  }),
  jwtIdTokenExpirationTime: define({
    env: 'JWT_OIDC_JWT_ID_TOKEN_EXPIRATION_TIME',
    kind: 'int',
    schema: seconds(1),
    default: 2700,
    modes: ['provider', 'fake'],
    expect: secondsExpect(1),
    doc: 'provider: ID token lifetime in seconds.',
  }),
  jwtAccessTokenExpirationTime: define({
    env: 'JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME',
    kind: 'int',
    schema: seconds(1),
    default: 600,
    modes: ['provider', 'fake'],
    expect: secondsExpect(1),
    doc: 'provider: access token lifetime in seconds.',
  }),
  jwtRefreshTokenExpirationTime: define({
    env: 'JWT_OIDC_JWT_REFRESH_TOKEN_EXPIRATION_TIME',
    kind: 'int',
    schema: seconds(1),
    default: 3600,
    modes: ['provider', 'fake'],
    expect: `${secondsExpect(1)}, not less than JWT_ACCESS_TOKEN_EXPIRATION_TIME`,
    doc: 'provider: refresh token lifetime in seconds.',
  }),
  authorizationCodeExpirationTime: define({
    env: 'JWT_OIDC_AUTHORIZATION_CODE_EXPIRATION_TIME',
    kind: 'int',
    schema: z.number().int().min(1).max(600),
    default: 60,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds 1–600',
    doc: 'provider: authorization code lifetime in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes).',
  }),
  deviceCodeLifetime: define({
    env: 'JWT_OIDC_DEVICE_CODE_LIFETIME',
    kind: 'int',
    schema: z.number().int().min(60).max(3600),
    default: 600,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds 60–3600',
    doc: 'provider: how long a device sign-in (RFC 8628 `/device/authorization`) waits for the user to enter its code, in seconds (`expires_in`).',
  }),
  deviceCodeInterval: define({
    env: 'JWT_OIDC_DEVICE_CODE_INTERVAL',
    kind: 'int',
    schema: z.number().int().min(1).max(60),
    default: 5,
    modes: ['provider', 'fake'],
    expect: 'a whole number of seconds 1–60',
    doc: 'provider: the least number of seconds between a device\'s polls of the token endpoint (RFC 8628 `interval`); polling faster is `slow_down` and adds 5 seconds.',
  }),
  sessionExpirationTime: define({
    env: 'JWT_OIDC_SESSION_EXPIRATION_TIME',
    kind: 'int',
    schema: seconds(60),
    default: 86400,
    modes: ['provider', 'client', 'fake'],
    expect: secondsExpect(60),
    doc: 'Lifetime of a browser session (the provider\'s login session, the client\'s server-side session).',
  }),
  maxRefresh: define({
    env: 'JWT_OIDC_MAX_REFRESH',
    kind: 'int',
    schema: z.number().int().min(0).max(1_000_000).nullable(),
    default: 10,
    modes: ['provider', 'fake'],
    expect: 'a whole number ≥ 0, or null for unlimited',
    doc: 'provider: a grant can be refreshed exactly this many times; `null` means unlimited.',
  }),
  userinfoSerializer: optional({
    env: 'JWT_OIDC_USERINFO_SERIALIZER',
    kind: 'string',
    schema: z.string().min(1).max(1024),
    defaultDoc: 'built-in (OIDC Core §5.4 claims by scope)',
    modes: ['provider'],
    expect: 'a module path',
    doc: 'provider: a module whose default export is `(user, scopes) => claims`.',
  }),
  userinfoSerializerExclude: define({
    env: 'JWT_OIDC_USERINFO_SERIALIZER_EXCLUDE',
    kind: 'list',
    schema: z.array(z.string().min(1).max(128)),
    default: ['password'],
    modes: ['provider'],
    expect: 'a list of user field names (comma-separated or a JSON array)',
    doc: 'provider: user fields never released in userinfo or tokens (the password hash is never released in any case).',
  }),
  loginUrl: optional({
    env: 'JWT_OIDC_LOGIN_URL',
    kind: 'string',
    schema: httpUrl,
    defaultDoc: 'the built-in login page',
    modes: ['provider'],
    expect: 'an http(s) URL',
    doc: 'provider: an external login app (delegated login); the browser is sent there with a `login_challenge`.',
  }),
  builtInLogin: define({
    env: 'JWT_OIDC_BUILT_IN_LOGIN',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'provider, with `LOGIN_URL` set: also accept the built-in password form. Off by default: the login app alone signs users in, so what it enforces (MFA, SSO only) cannot be skipped by opening the built-in form.',
  }),
  passkeyLogin: define({
    env: 'JWT_OIDC_PASSKEY_LOGIN',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['provider'],
    expect: 'true or false',
    doc: 'The built-in sign-in page also offers "Sign in with a passkey" (docs/ACCOUNTS.md "Passkeys"): no username or password, a passkey the user registered on the account page, with user verification (its PIN or biometric), counts as two factors (amr `hwk` or `swk`, `user`, `mfa`). Off by default: passkeys then serve as a second factor after the password only. The page loads its script from the issuer (`script-src \'self\'`) only when this is on.',
  }),

  apiScopes: define({
    env: 'JWT_OIDC_API_SCOPES',
    kind: 'list',
    schema: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/)).max(100),
    default: [],
    modes: ['provider', 'fake'],
    expect: 'a list of scope names (comma-separated or a JSON array)',
    doc: 'provider: scopes of your own APIs that clients may request, besides openid, profile, email, address, phone, offline_access and admin. Other scopes are ignored (OIDC Core §3.1.2.1).',
  }),
  loginFailureLimit: define({
    env: 'JWT_OIDC_LOGIN_FAILURE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(1).max(1000),
    default: 5,
    modes: ['provider'],
    expect: 'a whole number 1–1000',
    doc: 'provider: failed logins per username within `LOGIN_FAILURE_WINDOW` before further attempts get 429 (the right password included), shared by every instance; a browser that signed in to the account before has a budget of its own (device cookie).',
  }),
  loginAddressFailureLimit: define({
    env: 'JWT_OIDC_LOGIN_ADDRESS_FAILURE_LIMIT',
    kind: 'int',
    schema: z.number().int().min(1).max(100000),
    default: 20,
    modes: ['provider'],
    expect: 'a whole number 1–100000',
    doc: 'provider: failed logins, and failures at the token endpoint, per client address (an IPv6 one per /64) within `LOGIN_FAILURE_WINDOW` before 429; shared by every instance.',
  }),
  loginFailureWindow: define({
    env: 'JWT_OIDC_LOGIN_FAILURE_WINDOW',
    kind: 'int',
    schema: seconds(10),
    default: 300,
    modes: ['provider'],
    expect: secondsExpect(10),
    doc: 'provider: the window of the login and client-authentication throttling, in seconds.',
  }),

  // ---- mail (provider and fake modes) ------------------------------------------------------
  smtpUrl: optional({
    env: 'JWT_OIDC_SMTP_URL',
    kind: 'string',
    schema: z.string().max(2048).refine((v) => parseSmtpUrl(v) !== undefined),
    defaultDoc: 'unset (mail goes to the log outside production)',
    modes: ['provider', 'fake'],
    secret: true,
    expect: SMTP_URL_EXPECT,
    doc: 'provider, fake: the SMTP server (RFC 5321) that sends the service\'s mail (password resets…): `smtp://user:password@host:587` (message submission, RFC 6409; upgraded with STARTTLS, RFC 3207, when the server offers it; `?requireTLS=true` refuses a server that does not) or `smtps://user:password@host:465` (TLS from the start, RFC 8314). Percent-encode special characters of the user and password. Sends run in the background with retries (1 s, 5 s, 30 s, 2 min; a 5xx refusal is final). Unset: outside production each message is written to the log at info, its text and links included; in production nothing is sent and each message is logged as an error.',
  }),
  mailFrom: optional({
    env: 'JWT_OIDC_MAIL_FROM',
    kind: 'string',
    schema: z.string().max(320).refine((v) => parseMailbox(v) !== undefined),
    defaultDoc: '`<product name> <no-reply@<issuer host>>`',
    modes: ['provider', 'fake'],
    expect: 'one mailbox such as "Acme Identity <no-reply@acme.example>" or no-reply@acme.example',
    doc: 'provider, fake: the sender of the service\'s mail (the `From` of RFC 5322 §3.6.2), one mailbox: `Acme Identity <no-reply@acme.example>` or a bare address. Use an address your SMTP server may send as (SPF, DKIM).',
  }),

  // ---- fake mode -------------------------------------------------------------------------
  fakeAllowProduction: define({
    env: 'JWT_OIDC_FAKE_ALLOW_PRODUCTION',
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    modes: ['fake'],
    expect: 'true or false',
    doc: 'fake: let the fake provider start although `NODE_ENV=production` (it logs anyone in as anyone: never on a reachable host).',
  }),
  corsAllowedOrigins: define({
    env: 'JWT_OIDC_CORS_ALLOWED_ORIGINS',
    kind: 'list',
    schema: z.array(origin),
    default: [],
    defaultDoc: 'loopback origins only',
    modes: ['fake'],
    expect: 'a list of origins such as https://app.example (comma-separated or a JSON array)',
    doc: 'fake: origins of the frontends allowed to use the fake provider: its client\'s redirect and post-logout URIs may be any URI on them, and they get CORS.',
  }),
} satisfies Record<string, SettingDefinition<z.ZodType>>;

export type SettingKey = keyof typeof definitions;
export const SETTING_KEYS = Object.keys(definitions) as SettingKey[];

type Defs = typeof definitions;
/** The settings as read: every key, `undefined` where unset. */
export type RawSettings = {
  -readonly [K in SettingKey]: Defs[K]['optional'] extends true ? z.output<Defs[K]['schema']> | undefined : z.output<Defs[K]['schema']>;
};

export function appliesTo(def: Pick<SettingDefinition, 'modes'>, mode: Mode): boolean {
  return def.modes === 'all' || def.modes.includes(mode);
}
