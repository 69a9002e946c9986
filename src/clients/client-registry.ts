/**
 * Every registered client, in memory: the token endpoint authenticates a client without a
 * database round trip, and CORS knows the allowed origins. Reloaded when a client changes here
 * or on another instance (LISTEN/NOTIFY), and at least every minute.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { SignatureAlg } from '../config/definitions.js';
import { ChangeListener } from '../db/change-listener.js';
import { Client, type TokenExchangePolicy } from '../db/entities/client.js';
import { isMetadataDocumentId } from './client-service.js';
import type { PublicJwkSet } from './jwks.js';
import type { Logger } from '../log.js';
import { serialReload } from '../util/serial-reload.js';

export const CLIENTS_CHANGED_CHANNEL = 'jwt_oidc_clients';

/** A client as protocol code sees it: immutable, parsed. */
export interface RegisteredClient {
  readonly id: string;
  readonly name: string;
  readonly logoUri: string | null;
  /** The application's home page (RFC 7591 §2), for "Back to <name>" links. */
  readonly clientUri: string | null;
  /** SHA-256 of the secret; null for a public client and a private_key_jwt one. */
  readonly secretHash: string | null;
  /** A client_secret_jwt client's secret, sealed (opened only to check an assertion); null otherwise. */
  readonly sealedSecret: string | null;
  readonly secretExpiresAt: number | null;
  readonly isPublic: boolean;
  /**
   * `private_key_jwt` (RFC 7523 §2.2): it authenticates with assertions signed by its keys;
   * `client_secret_jwt` (OIDC Core §9): with assertions MACed with its secret; null: by its
   * secret (Basic or form), or none.
   */
  readonly tokenEndpointAuthMethod: 'private_key_jwt' | 'client_secret_jwt' | null;
  /** Its public keys, inline (`jwks`) or where to fetch them (`jwksUri`); for private_key_jwt. */
  readonly jwks: PublicJwkSet | null;
  readonly jwksUri: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly firstParty: boolean;
  readonly logoutAll: boolean;
  readonly admin: boolean;
  /** Sign-ins to it end with a second factor (docs/ACCOUNTS.md "Two-step sign-in"). */
  readonly requireMfa: boolean;
  /** Its authorization requests must be pushed (RFC 9126 `require_pushed_authorization_requests`). */
  readonly requirePar: boolean;
  /** Its token requests must carry a DPoP proof (RFC 9449 §5.2 `dpop_bound_access_tokens`). */
  readonly requireDpop: boolean;
  readonly idTokenSignedResponseAlg: SignatureAlg | null;
  readonly extraIdTokenClaims: Readonly<Record<string, { field: string; scope: string }>>;
  readonly userRestrictions: readonly { field: string; equals: string }[];
  readonly audiences: readonly string[];
  /** Its token-exchange policy (RFC 8693; README "Token exchange"); null: it may exchange for no audience. */
  readonly tokenExchange: Readonly<TokenExchangePolicy> | null;
  readonly backchannelLogoutUri: string | null;
  /**
   * Besides the registered URIs, any redirect URI on an origin this accepts: the fake mode's
   * client only (docs/ARCHITECTURE.md "The fake mode"); null for every registered client.
   */
  readonly redirectOrigin: ((origin: string) => boolean) | null;
}

/**
 * Whether `uri` is one of the client's redirect URIs: the exact string, no prefix, no
 * normalisation, no wildcard (RFC 9700 §4.1.3) — or, for a client with an origin policy, an
 * absolute http(s) URI in visible ASCII (it goes back byte for byte in a Location header),
 * without credentials or fragment (RFC 6749 §3.1.2), on an accepted origin.
 */
export function isRedirectUriOf(client: RegisteredClient, uri: string, registered: readonly string[] = client.redirectUris): boolean {
  if (registered.includes(uri)) return true;
  if (!client.redirectOrigin || /[^\x21-\x7e]/.test(uri) || uri.includes('#')) return false;
  try {
    const url = new URL(uri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && client.redirectOrigin(url.origin);
  } catch {
    return false;
  }
}

/** The same rule for RP-initiated logout's `post_logout_redirect_uri`. */
export function isPostLogoutRedirectUriOf(client: RegisteredClient, uri: string): boolean {
  return isRedirectUriOf(client, uri, client.postLogoutRedirectUris);
}

export function toRegistered(c: Client, redirectOrigin: RegisteredClient['redirectOrigin'] = null): RegisteredClient {
  return Object.freeze({
    id: c.id,
    name: c.name,
    logoUri: c.logoUri ?? null,
    clientUri: c.clientUri ?? null,
    secretHash: c.secretHash ?? null,
    sealedSecret: c.tokenEndpointAuthMethod === 'client_secret_jwt' ? (c.sealedSecret ?? null) : null,
    secretExpiresAt: c.secretExpiresAt?.getTime() ?? null,
    isPublic: !c.secretHash && c.tokenEndpointAuthMethod !== 'private_key_jwt',
    tokenEndpointAuthMethod: c.tokenEndpointAuthMethod === 'private_key_jwt' || c.tokenEndpointAuthMethod === 'client_secret_jwt' ? c.tokenEndpointAuthMethod : null,
    jwks: (c.jwks as PublicJwkSet | null | undefined) ?? null,
    jwksUri: c.jwksUri ?? null,
    redirectUris: Object.freeze([...c.redirectUris]),
    postLogoutRedirectUris: Object.freeze([...c.postLogoutRedirectUris]),
    allowedOrigins: Object.freeze([...c.allowedOrigins]),
    grantTypes: Object.freeze([...c.grantTypes]),
    responseTypes: Object.freeze([...c.responseTypes]),
    firstParty: c.firstParty,
    logoutAll: c.logoutAll,
    admin: c.admin,
    requireMfa: c.requireMfa,
    requirePar: c.requirePar,
    requireDpop: c.requireDpop,
    idTokenSignedResponseAlg: (c.idTokenSignedResponseAlg as SignatureAlg | null) ?? null,
    extraIdTokenClaims: Object.freeze({ ...c.extraIdTokenClaims }),
    userRestrictions: Object.freeze([...c.userRestrictions]),
    audiences: Object.freeze([...c.audiences]),
    tokenExchange: c.tokenExchange ? Object.freeze({ ...c.tokenExchange }) : null,
    backchannelLogoutUri: c.backchannelLogoutUri ?? null,
    redirectOrigin,
  });
}

export interface ClientRegistryOptions {
  orm: MikroORM;
  logger: Logger;
  /** Follow other instances' changes over this connection. */
  listenUrl?: string;
  /** Reload at least this often (default 60 s; 0: never). */
  pollMs?: number;
  /**
   * A client that may redirect anywhere on the origins `isAllowed` accepts, which may also call
   * by CORS: the fake mode's (docs/ARCHITECTURE.md "The fake mode"). Default: none.
   */
  originPolicy?: { clientId: string; isAllowed(origin: string): boolean };
}

/**
 * Clients known by a client ID metadata document (src/provider/registration/client-id-metadata.ts),
 * given to the registry by the provider, which builds on it.
 */
export interface MetadataDocumentClients {
  /** Whether the feature is on and `id` is a URL it accepts (its form, its host). */
  accepts(id: string): boolean;
  /** The client the document at `id` describes, fetched unless cached; undefined when refused. */
  resolve(id: string, ip?: string): Promise<RegisteredClient | undefined>;
  /** Forgets a cached document: its row is gone. */
  forget(id: string): void;
}

export class ClientRegistry {
  private clients = new Map<string, RegisteredClient>();
  private documents: MetadataDocumentClients | undefined;
  private origins = new Set<string>();
  private listener: ChangeListener | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClientRegistryOptions) {}

  async start(): Promise<void> {
    if (this.options.listenUrl) {
      this.listener = new ChangeListener(this.options.listenUrl, CLIENTS_CHANGED_CHANNEL, () => void this.reload().catch((e) => this.options.logger.error({ err: e }, 'reloading clients failed')), this.options.logger);
      await this.listener.start();
    }
    await this.reload();
    const poll = this.options.pollMs ?? 60_000;
    if (poll > 0) {
      this.timer = setInterval(() => void this.reload().catch((e) => this.options.logger.warn({ err: e }, 'reloading clients failed')), poll);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.listener?.stop();
  }

  /**
   * The client, synchronously: a registered one, or one known by its metadata document from the
   * document last fetched (its row), while documents are on and its URL is still accepted. Where
   * a client is first contacted, `resolve` is used instead.
   */
  get(id: string): RegisteredClient | undefined {
    if (isMetadataDocumentId(id) && !this.documents?.accepts(id)) return undefined;
    return this.clients.get(id);
  }

  /**
   * The client at its first contact (/authorize, /par, /token): a registered one, or the one its
   * metadata document describes — fetched again when its cached copy is stale, and undefined when
   * the document cannot be fetched or is refused.
   */
  async resolve(id: string, ip?: string): Promise<RegisteredClient | undefined> {
    if (!isMetadataDocumentId(id)) return this.clients.get(id);
    const client = await this.documents?.resolve(id, ip);
    if (client) this.clients.set(id, client);
    return client;
  }

  /** Clients known by their metadata documents, from now on (the provider's context sets it). */
  useMetadataDocuments(documents: MetadataDocumentClients): void {
    this.documents = documents;
  }

  /** Whether `origin` is one a registered client may call from (CORS). */
  isAllowedOrigin(origin: string): boolean {
    return this.origins.has(origin) || this.options.originPolicy?.isAllowed(origin) === true;
  }

  /** Reads every client again (serialised: see util/serial-reload.ts). */
  readonly reload = serialReload(() => this.load());

  /** After a change made here: reload, and tell the other instances. */
  async changed(): Promise<void> {
    await notifyClientsChanged(this.options.orm);
    await this.reload();
  }

  private async load(): Promise<void> {
    const rows = await this.options.orm.em.fork().find(Client, {});
    const policy = this.options.originPolicy;
    const previous = this.clients;
    this.clients = new Map(rows.map((c) => [c.id, toRegistered(c, c.id === policy?.clientId ? (o) => policy.isAllowed(o) : null)]));
    // A document client's row deleted (by an administrator, with its grants): its cached document goes too.
    for (const id of previous.keys()) if (isMetadataDocumentId(id) && !this.clients.has(id)) this.documents?.forget(id);
    this.origins = new Set(rows.flatMap((c) => c.allowedOrigins));
  }
}

/** Tells every instance's registry (including this one's) that clients changed. */
export async function notifyClientsChanged(orm: MikroORM): Promise<void> {
  await orm.em.fork().getConnection().execute(`select pg_notify('${CLIENTS_CHANGED_CHANNEL}', '')`);
}
