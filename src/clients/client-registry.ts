/**
 * The registered clients protocol code asks for, cached: a bounded LRU of clients read by primary
 * key on a miss (concurrent misses of one id share one query), a bounded, short-lived memory of
 * unknown ids (a flood of random client_ids is neither a query each nor unbounded memory), and a
 * bounded cache of CORS origins answered by an indexed query. A change made here or on another
 * instance (LISTEN/NOTIFY, its client id as payload) evicts that client at once everywhere; an
 * empty payload or a lost listener connection forgets everything; each entry also lives at most
 * `ttlMs` (60 s), which bounds staleness should a notification be missed otherwise. Memory stays
 * bounded by JWT_OIDC_CLIENT_CACHE_SIZE however many clients the table holds.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { SignatureAlg } from '../config/definitions.js';
import { ChangeListener } from '../db/change-listener.js';
import { Client, type TokenExchangePolicy } from '../db/entities/client.js';
import { isMetadataDocumentId } from './client-service.js';
import type { PublicJwkSet } from './jwks.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../clock.js';
import { ExpiringLru } from '../util/expiring-lru.js';
import { SharedReads } from '../util/shared-reads.js';

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

/** The longest client id: the `clients` primary key (longer ones name no client, and are not remembered). */
const MAX_CLIENT_ID_LENGTH = 128;
/** PostgreSQL text cannot hold NUL: a string with one names no row, and asking would be an error. */
const NUL = /\0/;
/** The longest origin a client may register (redirect-uri.ts MAX_URI_LENGTH); a longer one is never allowed. */
const MAX_ORIGIN_LENGTH = 2048;

export interface ClientRegistryOptions {
  orm: MikroORM;
  logger: Logger;
  /** Follow other instances' changes over this connection. */
  listenUrl?: string;
  /** Clients kept in memory (JWT_OIDC_CLIENT_CACHE_SIZE; default 10 000); as many unknown ids and origins. */
  cacheSize?: number;
  /** How long a cached client or origin answer is used without reading again (default 60 s). */
  ttlMs?: number;
  /** How long an unknown id is remembered as unknown (default 10 s). */
  unknownTtlMs?: number;
  /** The entries' lifetimes run on it (default: the system clock). */
  clock?: Clock;
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
  /** Forgets every cached document: rows may have gone unnoticed (a lost notification). */
  forgetAll(): void;
}

export class ClientRegistry {
  private readonly known: ExpiringLru<string, RegisteredClient>;
  private readonly unknown: ExpiringLru<string, true>;
  private readonly reads = new SharedReads<string, RegisteredClient | undefined>();
  private readonly origins: ExpiringLru<string, boolean>;
  private readonly originReads = new SharedReads<string, boolean>();
  private readonly ttlMs: number;
  private readonly unknownTtlMs: number;
  private documents: MetadataDocumentClients | undefined;
  private listener: ChangeListener | undefined;

  constructor(private readonly options: ClientRegistryOptions) {
    const size = options.cacheSize ?? 10_000;
    const clock = options.clock ?? systemClock;
    const now = () => clock.now();
    this.known = new ExpiringLru(size, now);
    this.unknown = new ExpiringLru(size, now);
    this.origins = new ExpiringLru(size, now);
    this.ttlMs = options.ttlMs ?? 60_000;
    this.unknownTtlMs = options.unknownTtlMs ?? 10_000;
  }

  async start(): Promise<void> {
    if (!this.options.listenUrl) return;
    // A notice names the changed client; none (a reconnection: notices may have been missed) names them all.
    this.listener = new ChangeListener(this.options.listenUrl, CLIENTS_CHANGED_CHANNEL, (id) => this.forget(id || undefined), this.options.logger);
    await this.listener.start();
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
  }

  /**
   * The client: a registered one, or one known by its metadata document from the document last
   * fetched (its row), while documents are on and its URL is still accepted — from the cache, or
   * read by its id. Where a client is first contacted, `resolve` is used instead.
   */
  async get(id: string): Promise<RegisteredClient | undefined> {
    if (id.length > MAX_CLIENT_ID_LENGTH || NUL.test(id)) return undefined;
    if (isMetadataDocumentId(id) && !this.documents?.accepts(id)) return undefined;
    const cached = this.known.get(id);
    if (cached) return cached;
    if (this.unknown.get(id)) return undefined;
    return this.reads.read(id, () => this.read(id), (client) => (client ? this.known.set(id, client, this.ttlMs) : this.unknown.set(id, true, this.unknownTtlMs)));
  }

  /**
   * The client at its first contact (/authorize, /par, /token): a registered one, or the one its
   * metadata document describes — fetched again when its cached copy is stale, and undefined when
   * the document cannot be fetched or is refused.
   */
  async resolve(id: string, ip?: string): Promise<RegisteredClient | undefined> {
    if (!isMetadataDocumentId(id)) return this.get(id);
    const client = await this.documents?.resolve(id, ip);
    if (client) {
      this.unknown.delete(id);
      this.known.set(id, client, this.ttlMs);
    }
    return client;
  }

  /** Clients known by their metadata documents, from now on (the provider's context sets it). */
  useMetadataDocuments(documents: MetadataDocumentClients): void {
    this.documents = documents;
  }

  /** Whether `origin` is one a registered client may call from (CORS): cached, else one indexed query. */
  async isAllowedOrigin(origin: string): Promise<boolean> {
    if (this.options.originPolicy?.isAllowed(origin) === true) return true;
    if (origin.length > MAX_ORIGIN_LENGTH || NUL.test(origin)) return false;
    const cached = this.origins.get(origin);
    if (cached !== undefined) return cached;
    return this.originReads.read(origin, () => this.readOrigin(origin), (allowed) => this.origins.set(origin, allowed, this.ttlMs));
  }

  /** How many entries each cache holds now: each at most the cache size, however many clients there are. */
  cached(): { clients: number; unknown: number; origins: number } {
    return { clients: this.known.size, unknown: this.unknown.size, origins: this.origins.size };
  }

  /** Forgets every cached client and origin: the next lookups read the rows. */
  async reload(): Promise<void> {
    this.forget(undefined);
  }

  /** After a change made here to client `id` (undefined: to any): forget it here, and tell the other instances. */
  async changed(id?: string): Promise<void> {
    this.forget(id);
    await notifyClientsChanged(this.options.orm, id);
  }

  /**
   * A change of client `id`, or of any when undefined. Origins are forgotten in either case: a
   * change of one client may add or remove any origin, and their answers are cheap to read again.
   */
  private forget(id: string | undefined): void {
    if (id === undefined) {
      this.known.clear();
      this.unknown.clear();
      this.reads.forgetAll();
      // A document client's row may have been deleted unnoticed: its cached document goes too.
      this.documents?.forgetAll();
    } else {
      this.known.delete(id);
      this.unknown.delete(id);
      this.reads.forget(id);
      // A document client's row deleted (by an administrator, with its grants): its cached document goes too.
      if (isMetadataDocumentId(id)) this.documents?.forget(id);
    }
    this.origins.clear();
    this.originReads.forgetAll();
  }

  private async read(id: string): Promise<RegisteredClient | undefined> {
    const row = await this.options.orm.em.fork().findOne(Client, { id });
    if (!row) return undefined;
    const policy = this.options.originPolicy;
    return toRegistered(row, row.id === policy?.clientId ? (o) => policy.isAllowed(o) : null);
  }

  /** One query, on the GIN index of `allowed_origins` (jsonb containment). */
  private async readOrigin(origin: string): Promise<boolean> {
    const rows = await this.options.orm.em.fork().getConnection().execute<{ one: number }[]>('select 1 as one from clients where allowed_origins @> ?::jsonb limit 1', [JSON.stringify([origin])]);
    return rows.length > 0;
  }
}

/** Tells every instance's registry (including this one's) that client `id` changed (undefined: any client). */
export async function notifyClientsChanged(orm: MikroORM, id?: string): Promise<void> {
  // One id per notice: a client id is at most 128 characters, far below pg_notify's 8000 bytes.
  await orm.em.fork().getConnection().execute('select pg_notify(?, ?)', [CLIENTS_CHANGED_CHANNEL, id ?? '']);
}
