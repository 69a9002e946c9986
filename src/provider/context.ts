/**
 * Everything the provider's endpoints need, built once at start and passed explicitly: no
 * globals, so tests can build one with a test clock and two can run side by side.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ClientRegistry } from '../clients/client-registry.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/load.js';
import type { KeyManager } from '../keys/key-manager.js';
import type { Logger } from '../log.js';
import type { Mailer } from '../mail/mailer.js';
import { cookieName } from './cookies.js';
import { FailureThrottle } from '../util/failure-throttle.js';
import { DeviceStore } from './stores/device-store.js';
import { SharedThrottle } from './throttle/shared-throttle.js';
import { providerTokenVerifier, type ProviderAccessToken } from './access-token.js';
import { loadSerializer, type ClaimsOptions } from './claims.js';
import { AssertionStore } from './stores/assertion-store.js';
import { ConsentStore } from './stores/consent-store.js';
import { GrantStore } from './stores/grant-store.js';
import { ResourceStore } from './stores/resource-store.js';
import { wantedFamilies } from '../keys/lifecycle.js';
import { InteractionStore } from './stores/interaction-store.js';
import { PushedRequestStore } from './stores/pushed-request-store.js';
import { SessionStore } from './stores/session-store.js';
import { TokenMinter } from './tokens.js';
import { ClientJwks } from './token/client-jwks.js';
import { ClientIdMetadataDocuments } from './registration/client-id-metadata.js';
import { DpopPolicy } from './dpop.js';
import { DpopProofStore } from './stores/dpop-proof-store.js';

/** What every part of the provider knows: who it is, its settings, time and log. */
export interface ProviderBase {
  issuer: string;
  /** The issuer's path, where the provider's routes are mounted ('' for a bare origin). */
  basePath: string;
  settings: Settings;
  clock: Clock;
  logger: Logger;
  /** The service's mail (src/mail/mailer.ts): `send` queues and returns at once. Absent where a test builds a context without one. */
  mailer?: Mailer;
}

/** Persistence: the registered clients, the ORM (users), and one store per domain (src/provider/stores/). */
export interface ProviderStores {
  orm: MikroORM;
  clients: ClientRegistry;
  sessions: SessionStore;
  interactions: InteractionStore;
  grants: GrantStore;
  consents: ConsentStore;
  /** Registered resources (RFC 8707): what `resource` may name. */
  resources: ResourceStore;
  /** Pushed authorization requests (RFC 9126), shared by every instance. */
  pushedRequests: PushedRequestStore;
  /** Device authorization requests (RFC 8628), shared by every instance. */
  devices: DeviceStore;
  /** The `jti`s of client assertions already used (private_key_jwt), on every instance. */
  assertions: AssertionStore;
}

/** Tokens: the signing keys, minting, the claims released, and the verification of our own access tokens. */
export interface ProviderTokens {
  keys: KeyManager;
  minter: TokenMinter;
  claims: ClaimsOptions;
  /** Verifies an access token of this provider and that it is still alive. */
  verifyAccessToken(token: string): Promise<ProviderAccessToken>;
}

/** What guards the endpoints that people and clients call: throttles, cookies, derived secrets. */
export interface ProviderGuards {
  /** Failures shared by every instance on the database: logins, client authentication, guessed codes. */
  failures: SharedThrottle;
  throttles: {
    /** This instance's view of the token endpoint's failures per address (synchronised on each failure). */
    address: FailureThrottle;
    /** Token requests per client per minute that passed client authentication (TOKEN_RATE_LIMIT; undefined: no limit; per instance). */
    tokenRequests?: FailureThrottle;
    /** Interactions stored per address per minute (INTERACTION_RATE_LIMIT; undefined: no limit; per instance). */
    interactions?: FailureThrottle;
    /** Dynamic client registrations, and first fetches of client ID metadata documents, per address per minute (REGISTRATION_RATE_LIMIT; undefined: no limit; per instance). */
    registrations?: FailureThrottle;
  };
  /** Client ID metadata documents: fetched safely, cached, validated (src/provider/registration/client-id-metadata.ts); the registry's `resolve` uses them. */
  clientDocuments: ClientIdMetadataDocuments;
  /** The keys of private_key_jwt clients published at a jwks_uri: fetched safely, cached (src/provider/token/client-jwks.ts). */
  clientKeys: ClientJwks;
  /** The key sets of the issuers trusted for token exchange (TOKEN_EXCHANGE_TRUSTED_ISSUERS): fetched safely, cached, as clients' are. */
  exchangeIssuerKeys: ClientJwks;
  /** DPoP proofs (RFC 9449): their checks, the proofs seen on every instance, the nonces (src/provider/dpop.ts). */
  dpop: DpopPolicy;
  /** Keys derived from the key encryption secret: audit digests, device cookies. */
  secretKeys: { audit: Buffer; device: Buffer };
  cookies: { secure: boolean; session: string; interaction: string; device: string };
}

/**
 * The whole provider, built once by `createProviderContext`. Each endpoint asks for the parts it
 * uses (e.g. `UserinfoContext`), so what it depends on is visible in its signature and a test
 * can hand it just those.
 */
export interface ProviderContext extends ProviderBase, ProviderStores, ProviderTokens, ProviderGuards {}

export interface ProviderContextOptions {
  settings: Settings;
  issuer: string;
  clock: Clock;
  logger: Logger;
  orm: MikroORM;
  keys: KeyManager;
  clients: ClientRegistry;
  mailer?: Mailer;
  /** Which claims are released (default: USERINFO_SERIALIZER, or OIDC Core §5.4's mapping; the fake mode: the typed identity). */
  claims?: ClaimsOptions;
}

export async function createProviderContext(o: ProviderContextOptions): Promise<ProviderContext> {
  const { settings, clock } = o;
  const secure = new URL(o.issuer).protocol === 'https:';
  const windowMs = settings.loginFailureWindow * 1000;
  const grants = new GrantStore(o.orm, clock);
  // First contacts by a client ID metadata document are registrations too: one budget per address.
  const registrations = settings.registrationRateLimit > 0 ? new FailureThrottle({ limit: settings.registrationRateLimit, windowMs: 60_000, clock }) : undefined;
  const clientDocuments = new ClientIdMetadataDocuments({ settings, clock, logger: o.logger, orm: o.orm, registrations });
  o.clients.useMetadataDocuments(clientDocuments);
  return {
    ...o,
    verifyAccessToken: providerTokenVerifier({ ...o, grants }),
    basePath: new URL(o.issuer).pathname.replace(/\/$/, ''),
    sessions: new SessionStore(o.orm, clock),
    interactions: new InteractionStore(o.orm, clock),
    grants,
    consents: new ConsentStore(o.orm),
    resources: new ResourceStore(o.orm, [...new Set(wantedFamilies(settings.signatureAlg).values())]),
    pushedRequests: new PushedRequestStore(o.orm, clock),
    devices: new DeviceStore(o.orm, clock),
    assertions: new AssertionStore(o.orm, clock),
    clientDocuments,
    clientKeys: new ClientJwks({ clock, allowLoopback: settings.jwksUriAllowLoopback, timeoutMs: settings.jwksUriTimeout * 1000 }),
    exchangeIssuerKeys: new ClientJwks({ clock, allowLoopback: settings.tokenExchangeAllowLoopback, timeoutMs: settings.jwksUriTimeout * 1000 }),
    minter: new TokenMinter(o.keys, { issuer: o.issuer, accessTokenTtl: settings.jwtAccessTokenExpirationTime, idTokenTtl: settings.jwtIdTokenExpirationTime, defaultAlg: settings.signatureAlg }, clock),
    claims: o.claims ?? { serializer: await loadSerializer(settings.userinfoSerializer), exclude: settings.userinfoSerializerExclude },
    failures: new SharedThrottle(o.orm, windowMs, clock),
    throttles: {
      address: new FailureThrottle({ limit: settings.loginAddressFailureLimit, windowMs, clock }),
      tokenRequests: settings.tokenRateLimit > 0 ? new FailureThrottle({ limit: settings.tokenRateLimit, windowMs: 60_000, clock }) : undefined,
      interactions: settings.interactionRateLimit > 0 ? new FailureThrottle({ limit: settings.interactionRateLimit, windowMs: 60_000, clock }) : undefined,
      registrations,
    },
    dpop: new DpopPolicy(o.keys.secretKey('dpop-nonce'), settings, clock, new DpopProofStore(o.orm, clock)),
    secretKeys: { audit: o.keys.secretKey('audit-digest'), device: o.keys.secretKey('device-cookie') },
    cookies: {
      secure,
      session: cookieName('jwt-oidc.session', secure),
      interaction: cookieName('jwt-oidc.interaction', secure, true),
      device: cookieName('jwt-oidc.device', secure, true),
    },
  };
}

/** An absolute URL of one of the provider's own endpoints. */
export function providerUrl(ctx: Pick<ProviderContext, 'issuer'>, path: string): string {
  return `${ctx.issuer.replace(/\/$/, '')}${path}`;
}
