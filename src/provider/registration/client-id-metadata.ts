/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a
 * `client_id` that is an https URL names a JSON document of the client's RFC 7591 §2 metadata,
 * which the provider fetches and validates at the client's first contact (/authorize, /par,
 * /token) — the MCP authorization specification's preferred way for a client to be known
 * without registering (docs/SECURITY.md section Y; README "Client ID metadata documents").
 *
 * Fetched with the provider's one safe fetch (src/util/safe-fetch.ts): https only, every
 * address of the host public (loopback only with JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK, for
 * development), resolved once and pinned, no redirects, a deadline, 5 KB at most (the draft's
 * suggested limit). Validated by the client service exactly as `jwt-oidc clients create` and
 * `/register` (src/clients/client-service.ts, mapped by ./metadata.ts): no second validator.
 * Such a client is public (`none`, PKCE), and never first-party, admin, or with sign-in
 * requirements, whatever its document says (the members are not read, as at `/register`).
 *
 * Cached per URL on each instance as HTTP caching allows (RFC 9111 `max-age`, `Expires`),
 * within [1 minute, 24 hours]; a failure is remembered for 30 seconds, so that a flood of
 * requests naming a dead URL is one fetch; concurrent lookups of one URL share one fetch.
 *
 * The last document fetched is also kept as the client's row (`clients`, id = the URL): the
 * grants, consents and pushed requests of the client refer to it, and the registry's `get` knows
 * the client from it — after the cache entry went stale, after a restart, on another
 * instance. Where a client is first contacted, `ClientRegistry.resolve` comes here and honours
 * the cache; elsewhere (access-token checks, the pages of an interaction begun at /authorize,
 * end-session, the account page) the row answers: a token issued while the document was valid
 * stays valid for its short life even if the document's server is down, and the client's next
 * contact (a refresh at /token) fetches the document again when stale.
 */
import { audit } from '../../audit.js';
import type { FailureThrottle } from '../../util/failure-throttle.js';
import { addressKey } from '../throttle/login-keys.js';
import type { GrantStore } from '../stores/grant-store.js';
import type { ConsentStore } from '../stores/consent-store.js';
import type { PushedRequestStore } from '../stores/pushed-request-store.js';
import { ClientError, ClientService, isMetadataDocumentId, metadataDocumentClient } from '../../clients/client-service.js';
import { toRegistered, type RegisteredClient } from '../../clients/client-registry.js';
import type { Clock } from '../../clock.js';
import type { Settings } from '../../config/load.js';
import type { Logger } from '../../log.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import { cacheLifetime, safeFetchJson, SafeFetchError, type SafeLookup } from '../../util/safe-fetch.js';
import { describeProblem, serviceInput } from './metadata.js';

/** Sizes and times of the documents' fetches and cache (ms, bytes). */
export const CLIENT_ID_METADATA = {
  /** The draft's suggested limit of a document (5 KB). */
  maxBytes: 5 * 1024,
  timeoutMs: 5_000,
  /** A cached document lives at least this long (`no-store` too), at most the ceiling; without caching headers, the default. */
  floorMs: 60_000,
  ceilingMs: 24 * 3600_000,
  defaultMs: 5 * 60_000,
  /** A failed fetch or a refused document is remembered this long. */
  failureMs: 30_000,
  maxEntries: 1000,
  /** The longest URL accepted: a client id is at most 128 characters here (the `clients` rows). */
  maxUrlLength: 128,
  /**
   * A client row no fetch has touched for this long, with nothing referring to it, is swept by the
   * housekeeping (sweepMetadataDocumentClients): twice the longest a cached document lives, so a
   * cached client always has its row.
   */
  retentionMs: 48 * 3600_000,
} as const;

/**
 * The housekeeping's sweep of unused metadata-document clients (src/db/housekeeping.ts `sweeps`):
 * fetching a document writes a row, so without it every URL ever named would stay. A row no
 * fetch has touched for `retentionMs` and that no grant, consent or pushed request refers to is
 * deleted (each store says which of its clients it refers to); the URL's next contact fetches the
 * document again. Untouched that long, no instance holds the document in its cache, so no new
 * grant can be on its way for it.
 */
export function metadataClientSweep(stores: { orm: MikroORM; grants: Pick<GrantStore, 'clientsWithGrants'>; consents: Pick<ConsentStore, 'clientsWithConsents'>; pushedRequests: Pick<PushedRequestStore, 'clientsWithRequests'>; devices?: Pick<PushedRequestStore, 'clientsWithRequests'> }): { name: string; run(now: Date): Promise<number> } {
  return {
    name: 'clients (metadata documents)',
    async run(now) {
      const before = new Date(now.getTime() - CLIENT_ID_METADATA.retentionMs);
      const service = new ClientService(stores.orm.em);
      const stale = await service.staleMetadataDocumentClients(before);
      const used = await Promise.all([stores.grants.clientsWithGrants(stale), stores.consents.clientsWithConsents(stale), stores.pushedRequests.clientsWithRequests(stale), stores.devices?.clientsWithRequests(stale) ?? new Set<string>()]);
      return service.deleteStaleMetadataDocumentClients(stale.filter((id) => !used.some((set) => set.has(id))), before);
    },
  };
}

export interface ClientIdMetadataOptions {
  settings: Pick<Settings, 'type' | 'clientIdMetadata' | 'clientIdMetadataHosts' | 'clientIdMetadataAllowLoopback'>;
  clock: Clock;
  logger: Logger;
  orm: MikroORM;
  timeoutMs?: number;
  /** Resolves a host name to all its addresses (default: the system resolver); tests make names resolve anywhere. */
  lookup?: SafeLookup;
  /** Tests only: a CA trusted besides node's (the service uses NODE_EXTRA_CA_CERTS). */
  testCa?: string;
  /**
   * JWT_OIDC_REGISTRATION_RATE_LIMIT's budget, shared with `/register`: a document not in the
   * cache is a new client, and fetching it writes a client row, so an address cannot make
   * clients faster by naming documents than by registering (undefined: no limit).
   */
  registrations?: FailureThrottle;
}

/** JWT_OIDC_CLIENT_ID_METADATA is on, in the provider mode (the fake mode has its one client). */
export function clientIdMetadataOn(settings: Pick<Settings, 'type' | 'clientIdMetadata'>): boolean {
  return settings.type !== 'fake' && settings.clientIdMetadata === 'on';
}

type Entry = { client: RegisteredClient; expiresAt: number } | { client: undefined; expiresAt: number };

/** Why a document was refused: the audit event's `reason`. */
class DocumentRefused extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why `id` cannot name a client ID metadata document, or undefined (draft §3: https, a path, no
 * fragment, no credentials, no dot segments; no query, as the draft advises). The URL must be
 * written as the WHATWG parser writes it, so that the exact comparison with the document's
 * `client_id` and with stored client ids has one spelling to match.
 */
export function clientIdUrlProblem(id: string): string | undefined {
  if (id.length > CLIENT_ID_METADATA.maxUrlLength) return `longer than ${CLIENT_ID_METADATA.maxUrlLength} characters`;
  if (/[^\x21-\x7e]/.test(id)) return 'not visible ASCII';
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:') return 'not https';
  if (id.includes('#')) return 'has a fragment';
  if (url.username || url.password || id.includes('@')) return 'has credentials';
  if (id.includes('?')) return 'has a query';
  const rawPath = id.slice(id.indexOf('/', 'https://'.length));
  if (!id.slice('https://'.length).includes('/') || rawPath === '/') return 'has no path';
  if (/\/(\.|%2e){1,2}(\/|$)/i.test(rawPath)) return 'has dot segments';
  if (url.href !== id) return 'is not in normal form';
  return undefined;
}

export class ClientIdMetadataDocuments {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<RegisteredClient | undefined>>();
  private readonly hosts: ReadonlySet<string>;

  /** `options.lookup` and `options.testCa` may be set by tests after the start. */
  constructor(readonly options: ClientIdMetadataOptions) {
    this.hosts = new Set(options.settings.clientIdMetadataHosts.map((h) => h.toLowerCase()));
  }

  /** Whether documents are on and `id` is a URL one may name: the feature, the URL's form, the host allow-list. */
  accepts(id: string): boolean {
    return this.refusal(id) === undefined;
  }

  /** The client `id` names, fetched when not cached; undefined when not a document client or refused. */
  resolve(id: string, ip?: string): Promise<RegisteredClient | undefined> {
    const refusal = this.refusal(id);
    if (refusal) {
      if (clientIdMetadataOn(this.options.settings) && isMetadataDocumentId(id)) this.refused(id, 'url', `the client_id URL ${refusal}`, ip);
      return Promise.resolve(undefined);
    }
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > this.options.clock.now()) return Promise.resolve(entry.client);
    let pending = this.inflight.get(id);
    if (!pending) {
      if (!this.withinBudget(ip)) {
        this.refused(id, 'rate-limited', 'too many new client ID metadata documents from this address (JWT_OIDC_REGISTRATION_RATE_LIMIT)', ip);
        return Promise.resolve(undefined);
      }
      pending = this.load(id, ip).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** Whether `ip` may have one more document fetched this minute (and spends it); no address, no budget to spend. */
  private withinBudget(ip: string | undefined): boolean {
    const limiter = this.options.registrations;
    if (!limiter || ip === undefined) return true;
    const key = `register:${addressKey(ip)}`;
    if (limiter.retryAfter(key) > 0) return false;
    limiter.fail(key);
    return true;
  }

  /** Forgets a URL's cached document (its row was deleted). */
  forget(id: string): void {
    this.entries.delete(id);
  }

  /** Forgets every cached document (rows may have been deleted unnoticed): each is fetched again at its next contact. */
  forgetAll(): void {
    this.entries.clear();
  }

  private refusal(id: string): string | undefined {
    if (!clientIdMetadataOn(this.options.settings) || !isMetadataDocumentId(id)) return 'is not accepted';
    const problem = clientIdUrlProblem(id);
    if (problem) return problem;
    if (this.hosts.size > 0 && !this.hosts.has(new URL(id).hostname)) return 'is on a host not in JWT_OIDC_CLIENT_ID_METADATA_HOSTS';
    return undefined;
  }

  private async load(id: string, ip: string | undefined): Promise<RegisteredClient | undefined> {
    let client: RegisteredClient;
    let lifetimeMs: number;
    try {
      const response = await safeFetchJson(id, {
        allowLoopback: this.options.settings.clientIdMetadataAllowLoopback,
        timeoutMs: this.options.timeoutMs ?? CLIENT_ID_METADATA.timeoutMs,
        maxBytes: CLIENT_ID_METADATA.maxBytes,
        lookup: this.options.lookup,
        testCa: this.options.testCa,
        accept: 'application/json',
        what: 'client_id',
      });
      const row = documentClient(id, response.body);
      // The row first: a grant or pushed request of the client may be written as soon as it is known.
      await new ClientService(this.options.orm.em).saveMetadataDocumentClient(row, new Date(this.options.clock.now()));
      client = toRegistered(row);
      lifetimeMs = cacheLifetime(response.headers, CLIENT_ID_METADATA);
    } catch (e) {
      if (!(e instanceof SafeFetchError) && !(e instanceof DocumentRefused)) throw e; // the database: not remembered
      this.remember(id, { client: undefined, expiresAt: this.options.clock.now() + CLIENT_ID_METADATA.failureMs });
      this.refused(id, e.reason, e.message, ip);
      return undefined;
    }
    this.remember(id, { client, expiresAt: this.options.clock.now() + lifetimeMs });
    return client;
  }

  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    // The oldest entry goes first: a Map keeps insertion order.
    if (this.entries.size > CLIENT_ID_METADATA.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  private refused(id: string, reason: string, detail: string, ip: string | undefined): void {
    // The URL as the request gave it, but not beyond what a client id can be: a request does not write a megabyte to the log.
    const client = id.length > CLIENT_ID_METADATA.maxUrlLength ? `${id.slice(0, CLIENT_ID_METADATA.maxUrlLength)}…` : id;
    audit(this.options.logger, 'client_metadata.refused', { outcome: 'refused', client, reason, detail: detail.slice(0, 300), ...(ip ? { ip } : {}) }, 'client ID metadata document refused');
  }
}

/** The members a document must not have (draft §4: a document is public; no shared secret can be in it). */
const SECRET_MEMBERS = ['client_secret', 'client_secret_expires_at'];

/** The client row a fetched document describes, or a refusal saying why not. */
function documentClient(id: string, body: unknown): ReturnType<typeof metadataDocumentClient> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DocumentRefused('document', 'the document is not a JSON object');
  const doc = body as Record<string, unknown>;
  // Draft §4.1: the document's client_id is the URL it was fetched from, compared as strings.
  if (doc.client_id !== id) throw new DocumentRefused('client_id', 'the document\'s client_id is not the URL it was fetched from');
  for (const member of SECRET_MEMBERS) if (member in doc) throw new DocumentRefused('secret', `the document must not have ${member}`);
  if (!Array.isArray(doc.redirect_uris) || doc.redirect_uris.length === 0) throw new DocumentRefused('metadata', 'redirect_uris: required');
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (method !== 'none') throw new DocumentRefused('metadata', 'token_endpoint_auth_method: only none (a public client, with PKCE)');
  try {
    return metadataDocumentClient(id, serviceInput(doc, 'none'));
  } catch (e) {
    if (e instanceof ClientError) throw new DocumentRefused('metadata', describeProblem(e.message));
    throw e;
  }
}
