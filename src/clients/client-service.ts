/**
 * Registering and administering clients: one place that validates client metadata (used by
 * the CLI, the GraphQL API and dynamic registration at `/register`, src/provider/registration). Secrets have 256 random bits, are shown once, and are stored as
 * SHA-256 digests; a `client_secret_jwt` client's also sealed, as its assertions are HMACs keyed
 * with the secret itself (OIDC Core §9; docs/SECURITY.md CA-11).
 */
import { sha256 } from '../util/digest.js';
import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { SIGNATURE_ALGS } from '../config/definitions.js';
import { Client } from '../db/entities/client.js';
import { searchCondition } from '../db/search.js';
import { checkJwks, JwksProblem, jwksUriProblem } from './jwks.js';
import { APPLICATION_TYPES, applicationTypeProblem, MAX_URI_LENGTH, originProblem, redirectUriProblem } from './redirect-uri.js';

/** `urn:ietf:params:oauth:grant-type:device_code`: RFC 8628 §3.4, the device sign-in (src/provider/device-authorization.ts). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8693 §2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT] as const;
/** Written with values sorted, as the authorization endpoint compares them. */
export const RESPONSE_TYPES = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'] as const;
/** User fields a client may copy into ID-token claims or restrict on; never secrets or flags. */
export const CLAIM_SOURCE_FIELDS = ['username', 'email', 'emailVerified', 'givenName', 'familyName', 'locale', 'picture'] as const;

/**
 * How a client authenticates at the token, introspection and revocation endpoints (RFC 7591 §2
 * `token_endpoint_auth_method`); one method per client (docs/SECURITY.md section V).
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export type ClientErrorCode = 'ERR_CLIENT_INVALID' | 'ERR_CLIENT_EXISTS' | 'ERR_CLIENT_NOT_FOUND' | 'ERR_CLIENT_MANAGED';

/**
 * The service's own clients (src/console/client.ts), registered and kept in line by the service
 * at every start while their pages are on, deleted without them; nobody else creates, changes or
 * deletes them. The admin console's (ADMIN_CONSOLE) and the account page's (ACCOUNT_PAGE).
 */
export const CONSOLE_CLIENT_ID = 'jwt-oidc-console';
export const ACCOUNT_CLIENT_ID = 'jwt-oidc-account';
/** Each managed client, with whose client it is (for the refusal). */
const MANAGED_CLIENTS: ReadonlyMap<string, string> = new Map([
  [CONSOLE_CLIENT_ID, 'the admin console'],
  [ACCOUNT_CLIENT_ID, 'the account page'],
]);

/** Refuses a change to a client the service manages itself. */
function refuseManaged(id: string): void {
  const owner = MANAGED_CLIENTS.get(id);
  if (owner) throw new ClientError('ERR_CLIENT_MANAGED', `"${id}" is ${owner}'s client, managed by the service: it cannot be created, changed or deleted`, 'id');
}

/** A client known by its metadata document is what its document says: deleted (with its grants) at most, never changed here. */
function refuseDocumentClient(id: string): void {
  if (isMetadataDocumentId(id)) throw new ClientError('ERR_CLIENT_MANAGED', `"${id}" is described by its client ID metadata document: it cannot be changed here`, 'id');
}

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly field?: string,
    /** The OAuth error for registration (RFC 7591 §3.2.2). */
    readonly oauthError: 'invalid_redirect_uri' | 'invalid_client_metadata' = 'invalid_client_metadata',
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

const uriList = (check: (v: string) => string | undefined, what: string) =>
  z.array(z.string().max(MAX_URI_LENGTH, `a ${what} has ${MAX_URI_LENGTH} characters at most`)).max(50).superRefine((list, ctx) => {
    list.forEach((v, i) => {
      const problem = check(v);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: `${what} "${v}": ${problem}` });
    });
    if (new Set(list).size !== list.length) ctx.addIssue({ code: 'custom', message: `${what}s must be unique` });
  });

const metadata = {
  name: z.string().trim().min(1).max(255),
  logoUri: z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048).nullish(),
  // Shown to users as a link: https, or http on loopback (development); never a script scheme.
  clientUri: z
    .string()
    .refine((v) => redirectUriProblem(v) === undefined && /^https?:/.test(v), 'must be an https URL (http on loopback)')
    .nullish(),
  redirectUris: uriList(redirectUriProblem, 'redirect URI'),
  postLogoutRedirectUris: uriList(redirectUriProblem, 'post-logout redirect URI'),
  allowedOrigins: uriList(originProblem, 'origin'),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length),
  responseTypes: z.array(z.string().transform((t) => t.split(' ').filter(Boolean).sort().join(' ')).pipe(z.enum(RESPONSE_TYPES))).max(RESPONSE_TYPES.length),
  backchannelLogoutUri: z
    .string()
    .refine((v) => redirectUriProblem(v) === undefined && /^https?:/.test(v), 'must be an https URL (http on loopback)')
    .nullish(),
  firstParty: z.boolean(),
  logoutAll: z.boolean(),
  admin: z.boolean(),
  requireMfa: z.boolean(),
  requirePar: z.boolean(),
  requireDpop: z.boolean(),
  idTokenSignedResponseAlg: z.enum(SIGNATURE_ALGS).nullish(),
  extraIdTokenClaims: z.record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'must be a claim name'),
    z.object({ field: z.enum(CLAIM_SOURCE_FIELDS), scope: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, 'must be a scope') }).strict(),
  ),
  userRestrictions: z.array(z.object({ field: z.enum(CLAIM_SOURCE_FIELDS), equals: z.string().max(320) }).strict()).max(100),
  audiences: z.array(z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be a string without spaces')).max(20),
  // RFC 8693 policy: the audiences are resource identifiers (RFC 8707 §2: absolute, no fragment), checked
  // against the registered resources at each exchange, so that a resource registered later can be named.
  tokenExchange: z
    .object({
      audiences: z.array(z.string().max(MAX_URI_LENGTH).refine(isResourceUri, 'must be an absolute URI without fragment')).max(20),
      scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, 'must be a scope')).max(50).optional(),
      widen: z.boolean().optional(),
    })
    .strict()
    .nullish(),
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS),
  // A JWK Set of public signing keys (src/clients/jwks.ts); null clears it.
  jwks: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v, ctx) => {
      if (v === null || v === undefined) return v;
      try {
        return checkJwks(v, { registered: true });
      } catch (e) {
        if (!(e instanceof JwksProblem)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
        return z.NEVER;
      }
    }),
  jwksUri: z
    .string()
    .superRefine((v, ctx) => {
      const problem = jwksUriProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullish(),
  // OIDC Registration §2: what its redirect URIs may be, besides the rules above; null: none.
  applicationType: z.enum(APPLICATION_TYPES).nullish(),
};

const createSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'may contain letters, digits and . _ ~ - only (1–128)').optional(),
    public: z.boolean().optional(),
    ...metadata,
    postLogoutRedirectUris: metadata.postLogoutRedirectUris.optional(),
    allowedOrigins: metadata.allowedOrigins.optional(),
    grantTypes: metadata.grantTypes.optional(),
    responseTypes: metadata.responseTypes.optional(),
    firstParty: metadata.firstParty.optional(),
    logoutAll: metadata.logoutAll.optional(),
    admin: metadata.admin.optional(),
    requireMfa: metadata.requireMfa.optional(),
    requirePar: metadata.requirePar.optional(),
    requireDpop: metadata.requireDpop.optional(),
    extraIdTokenClaims: metadata.extraIdTokenClaims.optional(),
    userRestrictions: metadata.userRestrictions.optional(),
    audiences: metadata.audiences.optional(),
    tokenExchange: metadata.tokenExchange,
    backchannelLogoutUri: metadata.backchannelLogoutUri,
    tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod.optional(),
  })
  .strict();
export type CreateClientInput = z.input<typeof createSchema>;

const updateSchema = z.object(metadata).partial().strict();
export type UpdateClientInput = z.input<typeof updateSchema>;

export const hashSecret = sha256;

/** What seals a client_secret_jwt client's secret: KeyEncryption (src/keys/encryption.ts). */
export interface ClientSecretSealer {
  encrypt(kid: string, plaintext: Buffer): string;
  decrypt(kid: string, blob: string): Buffer;
}

/** The associated data a client's sealed secret is bound to (its client id): moved to another row, it does not decrypt. */
export const clientSealedAs = (id: string) => `client-secret:${id}`;

export interface ListClientsOptions {
  /** Substring of the client_id or the name (case-insensitive; a prefix below 3 characters). */
  search?: string;
  limit?: number;
  /** Return clients whose id sorts after this one (keyset pagination). */
  afterId?: string;
}

/** The columns the administration's search looks in (src/db/search.ts). */
const CLIENT_SEARCH_COLUMNS = ['id', 'name'] as const;

/**
 * A page of clients by client_id, those matching `search` only (src/db/search.ts): the one search
 * of clients, for the CLI and the GraphQL `clients(search:)`. The statement's shape is the users'
 * (`listUsers` in src/users/user-service.ts says why): the planner takes the search indexes for a
 * rare term and walks `clients_pkey` for a common one.
 */
export async function listClients(em: EntityManager, options: ListClientsOptions & { limit: number }): Promise<Client[]> {
  const qb = em.createQueryBuilder(Client).select('*');
  if (options.search) {
    const { sql, params } = searchCondition(CLIENT_SEARCH_COLUMNS, options.search);
    qb.where(sql, params);
  }
  if (options.afterId !== undefined) qb.andWhere({ id: { $gt: options.afterId } });
  return qb.orderBy({ id: 'asc' }).limit(options.limit).getResultList();
}

/**
 * A new client secret: 256 random bits; 512 for client_secret_jwt, whose secret keys HS512 too
 * (RFC 7518 §3.2: a key at least as long as the hash output).
 */
const newSecret = (secretJwt = false) => randomBytes(secretJwt ? 64 : 32).toString('base64url');

export class ClientService {
  constructor(
    private readonly em: EntityManager,
    /** Called after every change, with the client's id (the registry forgets it and tells other instances). */
    private readonly changed: (id: string) => Promise<void> = async () => undefined,
    /** Seals the secret of a client_secret_jwt client; asked for only when one is made. */
    private readonly sealer?: () => Promise<ClientSecretSealer>,
  ) {}

  /** `client.sealedSecret` for `secret` (client_secret_jwt). */
  private async seal(client: Client, secret: string): Promise<void> {
    if (!this.sealer) throw new ClientError('ERR_CLIENT_INVALID', 'tokenEndpointAuthMethod: client_secret_jwt is not available here', 'tokenEndpointAuthMethod');
    client.sealedSecret = (await this.sealer()).encrypt(clientSealedAs(client.id), Buffer.from(secret, 'utf8'));
  }

  /**
   * `registrationTokenHash`: the digest of the registration access token of a client registered
   * at `/register` (RFC 7592 §3); never part of the metadata a caller gives.
   */
  async create(input: CreateClientInput, registrationTokenHash: string | null = null): Promise<{ client: Client; secret?: string }> {
    const { client, secret } = buildClient(input);
    // A client_secret_jwt client's secret keys the HMAC of its assertions: kept sealed too. The
    // digest stays (RFC 7592 §2.2 compares a client_secret sent to /register/<id>), but Basic
    // and form secrets are refused for it (client-auth.ts: one method per client).
    if (client.tokenEndpointAuthMethod === 'client_secret_jwt' && secret) await this.seal(client, secret);
    checkConsistency(client);
    client.registrationTokenHash = registrationTokenHash;
    const em = this.em.fork();
    em.persist(client);
    try {
      await em.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new ClientError('ERR_CLIENT_EXISTS', `a client with id "${client.id}" already exists`, 'id');
      throw e;
    }
    await this.changed(client.id);
    return { client, secret };
  }

  /**
   * Keeps the row of a client known by its metadata document (src/clients/metadata-document.ts),
   * made from the document last fetched: grants, consents and pushed requests refer to their
   * client's row, and the registry knows the client from it after a restart or on another
   * instance. Written without telling the other instances: each fetches the document itself.
   */
  /**
   * Stores the client a metadata document describes, or touches its row (`updatedAt`: `now`, the
   * fetch): sweepMetadataDocumentClients removes rows no fetch has touched for a while.
   */
  async saveMetadataDocumentClient(client: Client, now: Date): Promise<void> {
    if (!isMetadataDocumentId(client.id)) throw new ClientError('ERR_CLIENT_INVALID', 'not a client ID metadata document URL', 'id');
    const em = this.em.fork();
    const row = await em.findOne(Client, { id: client.id });
    const fields = { name: client.name, logoUri: client.logoUri, clientUri: client.clientUri, redirectUris: client.redirectUris, postLogoutRedirectUris: client.postLogoutRedirectUris, grantTypes: client.grantTypes, responseTypes: client.responseTypes, applicationType: client.applicationType };
    if (row) Object.assign(row, fields, { updatedAt: now });
    else em.persist(Object.assign(client, { createdAt: now, updatedAt: now }));
    try {
      await em.flush();
    } catch (e) {
      // Written meanwhile by another instance from the same document.
      if (!(e instanceof UniqueConstraintViolationException)) throw e;
    }
  }

  /** Up to `limit` clients of metadata documents that no fetch touched since `before`, oldest first. */
  async staleMetadataDocumentClients(before: Date, limit = 1000): Promise<string[]> {
    const rows = await this.em.fork().getConnection().execute<{ id: string }[]>(`select id from clients where id like 'https://%' and updated_at < ? order by updated_at limit ${Math.max(1, Math.floor(limit))}`, [before]);
    return rows.map((r) => r.id);
  }

  /**
   * Deletes those of `ids` that are clients of metadata documents still untouched since `before`
   * (a fetch meanwhile keeps its row). Returns how many went.
   */
  async deleteStaleMetadataDocumentClients(ids: readonly string[], before: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.em.fork().getConnection().execute<{ n: number }[]>(
      `with gone as (delete from clients where id in (?) and id like 'https://%' and updated_at < ? returning 1) select count(*)::int as n from gone`,
      [ids, before],
    );
    return rows[0]?.n ?? 0;
  }

  async update(id: string, input: UpdateClientInput): Promise<Client> {
    refuseManaged(id);
    refuseDocumentClient(id);
    const data = parse(updateSchema, input);
    const em = this.em.fork();
    const client = await this.mustFind(em, id);
    const { tokenEndpointAuthMethod: method, ...fields } = data;
    if (method !== undefined) changeAuthMethod(client, method);
    // Keys given one way replace keys given the other way.
    if (fields.jwks && fields.jwksUri === undefined) client.jwksUri = null;
    if (fields.jwksUri && fields.jwks === undefined) client.jwks = null;
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) (client as unknown as Record<string, unknown>)[key] = value;
    checkConsistency(client);
    await em.flush();
    await this.changed(id);
    return client;
  }

  /**
   * A new secret, effective at once; the old one stops working. The client then authenticates
   * with it as `method`: by default a `client_secret_jwt` client stays one, any other becomes
   * `client_secret_basic` (a `private_key_jwt` one's keys are forgotten). This is also the way
   * to `client_secret_jwt`: its secret must be sealed when made, a digest cannot key an HMAC.
   */
  async rotateSecret(id: string, method?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt'): Promise<{ client: Client; secret: string }> {
    refuseManaged(id);
    refuseDocumentClient(id);
    if (method !== undefined && !['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(method)) {
      throw new ClientError('ERR_CLIENT_INVALID', 'tokenEndpointAuthMethod: a rotated secret is used with client_secret_basic, client_secret_post or client_secret_jwt', 'tokenEndpointAuthMethod');
    }
    const em = this.em.fork();
    const client = await this.mustFind(em, id);
    const now = authMethodOf(client);
    if (now === 'none') throw new ClientError('ERR_CLIENT_INVALID', 'a public client has no secret to rotate', 'id');
    const secretJwt = (method ?? (now === 'client_secret_jwt' ? 'client_secret_jwt' : 'client_secret_basic')) === 'client_secret_jwt';
    const secret = newSecret(secretJwt);
    client.secretHash = hashSecret(secret);
    client.secretExpiresAt = null;
    Object.assign(client, { tokenEndpointAuthMethod: secretJwt ? 'client_secret_jwt' : null, jwks: null, jwksUri: null, sealedSecret: null });
    if (secretJwt) await this.seal(client, secret);
    await em.flush();
    await this.changed(id);
    return { client, secret };
  }

  /** Deletes the client and, through the foreign keys, its grants, codes and tokens. */
  async delete(id: string): Promise<void> {
    refuseManaged(id);
    const em = this.em.fork();
    const client = await this.mustFind(em, id);
    await em.remove(client).flush();
    await this.changed(id);
  }

  async find(id: string): Promise<Client | null> {
    return this.em.fork().findOne(Client, { id });
  }

  async list(options: ListClientsOptions = {}): Promise<Client[]> {
    return listClients(this.em.fork(), { ...options, limit: Math.min(Math.max(options.limit ?? 100, 1), 1000) });
  }

  private async mustFind(em: EntityManager, id: string): Promise<Client> {
    const client = await em.findOne(Client, { id });
    if (!client) throw new ClientError('ERR_CLIENT_NOT_FOUND', `no client with id "${id}"`, 'id');
    return client;
  }
}

/** A client's row made from `input`, its fields validated (the rules between them: checkConsistency, once a secret is sealed), not yet stored; its secret in clear, if it has one. */
function buildClient(input: CreateClientInput): { client: Client; secret?: string } {
  const data = parse(createSchema, input);
  if (data.id !== undefined) refuseManaged(data.id);
  const method = data.tokenEndpointAuthMethod;
  if (data.public !== undefined && method !== undefined && data.public !== (method === 'none')) {
    throw new ClientError('ERR_CLIENT_INVALID', `tokenEndpointAuthMethod: ${method} does not go with public: ${data.public}`, 'tokenEndpointAuthMethod');
  }
  const isPublic = data.public ?? method === 'none';
  const keys = method === 'private_key_jwt';
  const secretJwt = method === 'client_secret_jwt';
  const grantTypes = data.grantTypes ?? ['authorization_code', 'refresh_token'];
  const client = new Client();
  client.id = data.id ?? randomBytes(16).toString('base64url');
  Object.assign(client, {
    name: data.name,
    logoUri: data.logoUri ?? null,
    clientUri: data.clientUri ?? null,
    redirectUris: data.redirectUris,
    postLogoutRedirectUris: data.postLogoutRedirectUris ?? [],
    allowedOrigins: data.allowedOrigins ?? [],
    grantTypes,
    // Response types belong to the authorization endpoint: none for a machine-to-machine client.
    responseTypes: data.responseTypes ?? (grantTypes.includes('authorization_code') ? ['code'] : []),
    firstParty: data.firstParty ?? false,
    // RP-Initiated Logout 1.0 §2 logs the End-User out of the OP: a sign-out that keeps the
    // provider session would sign the next person at this computer straight back in.
    logoutAll: data.logoutAll ?? true,
    admin: data.admin ?? false,
    requireMfa: data.requireMfa ?? false,
    requirePar: data.requirePar ?? false,
    requireDpop: data.requireDpop ?? false,
    idTokenSignedResponseAlg: data.idTokenSignedResponseAlg ?? null,
    extraIdTokenClaims: data.extraIdTokenClaims ?? {},
    userRestrictions: data.userRestrictions ?? [],
    audiences: data.audiences ?? [],
    tokenExchange: data.tokenExchange ?? null,
    backchannelLogoutUri: data.backchannelLogoutUri ?? null,
    tokenEndpointAuthMethod: keys || secretJwt ? method : null,
    jwks: data.jwks ?? null,
    jwksUri: data.jwksUri ?? null,
    applicationType: data.applicationType ?? null,
  });
  // A private_key_jwt client authenticates with its keys only: no secret (RFC 7523 §2.2).
  const secret = isPublic || keys ? undefined : newSecret(secretJwt);
  client.secretHash = secret ? hashSecret(secret) : null;
  client.sealedSecret = null;
  return { client, secret };
}

/**
 * Whether `id` is the form of a client ID metadata document URL (an https URL): such an id is
 * never one an administrator or a registration can give (`id` allows no ':' or '/').
 */
export function isMetadataDocumentId(id: string): boolean {
  return id.startsWith('https://');
}

/**
 * The client a metadata document describes (draft-ietf-oauth-client-id-metadata-document §4),
 * validated by the same rules as `jwt-oidc clients create` and a registration (`input` comes from
 * src/provider/registration/metadata.ts), under `id`, its URL. Public only: no secret, PKCE.
 * Never first-party, admin, or with sign-in requirements: `input` carries none of them.
 */
export function metadataDocumentClient(id: string, input: CreateClientInput): Client {
  if (!isMetadataDocumentId(id)) throw new ClientError('ERR_CLIENT_INVALID', 'the client_id must be an https URL', 'id');
  const { client, secret } = buildClient({ ...input, id: 'metadata-document', public: true });
  checkConsistency(client);
  if (secret !== undefined || authMethodOf(client) !== 'none') throw new ClientError('ERR_CLIENT_INVALID', 'tokenEndpointAuthMethod: must be none', 'tokenEndpointAuthMethod');
  client.id = id;
  return client;
}

/** A client's `token_endpoint_auth_method`: stored for the JWT methods, told by the secret otherwise. */
export function authMethodOf(c: Pick<Client, 'secretHash' | 'tokenEndpointAuthMethod'>): 'client_secret_basic' | 'client_secret_jwt' | 'private_key_jwt' | 'none' {
  if (c.tokenEndpointAuthMethod === 'private_key_jwt' || c.tokenEndpointAuthMethod === 'client_secret_jwt') return c.tokenEndpointAuthMethod;
  return c.secretHash ? 'client_secret_basic' : 'none';
}

/**
 * An update's method: a confidential client may move to its keys (its secret is dropped at
 * once); to a secret, or between client_secret_jwt and the other secret methods, only through
 * `rotateSecret`, which makes one (and seals it for client_secret_jwt); public stays public.
 */
function changeAuthMethod(client: Client, method: TokenEndpointAuthMethod): void {
  const now = authMethodOf(client);
  const refuse = (message: string) => {
    throw new ClientError('ERR_CLIENT_INVALID', `tokenEndpointAuthMethod: ${message}`, 'tokenEndpointAuthMethod');
  };
  if (method === 'none' || now === 'none') {
    if (method !== now) refuse('whether a client is public cannot be changed: register another client');
    return;
  }
  if (method === 'private_key_jwt') {
    client.tokenEndpointAuthMethod = 'private_key_jwt';
    client.secretHash = null;
    client.sealedSecret = null;
    client.secretExpiresAt = null;
  } else if (now === 'private_key_jwt') {
    refuse('rotate the secret to give this client one (it then authenticates with it, and its keys are forgotten)');
  } else if ((method === 'client_secret_jwt') !== (now === 'client_secret_jwt')) {
    refuse(`rotate the secret to move between client_secret_jwt and ${method === 'client_secret_jwt' ? now : method}: the new secret is shown once`);
  }
}

/** An absolute URI without fragment, as a resource identifier is (RFC 8707 §2). */
function isResourceUri(v: string): boolean {
  if (/[^\x21-\x7e]/.test(v) || v.includes('#')) return false;
  try {
    return new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}

/** Rules between fields, for a new client and after every update. */
function checkConsistency(c: Client): void {
  const fail = (field: string, message: string) => {
    throw new ClientError('ERR_CLIENT_INVALID', `${field}: ${message}`, field, field === 'redirectUris' ? 'invalid_redirect_uri' : 'invalid_client_metadata');
  };
  const isPublic = authMethodOf(c) === 'none';
  const type = c.applicationType as (typeof APPLICATION_TYPES)[number] | null | undefined;
  if (type) {
    for (const uri of c.redirectUris) {
      const problem = applicationTypeProblem(type, uri, c.grantTypes.includes('implicit'));
      if (problem) fail('redirectUris', `"${uri}": ${problem}`);
    }
  }
  if (c.tokenEndpointAuthMethod === 'client_secret_jwt' && (!c.secretHash || !c.sealedSecret)) fail('tokenEndpointAuthMethod', 'a client_secret_jwt client needs its sealed secret');
  if (c.tokenEndpointAuthMethod === 'private_key_jwt') {
    if (!c.jwks && !c.jwksUri) fail('jwks', 'a private_key_jwt client needs its public keys: a JWK Set (jwks) or its URL (jwksUri)');
    if (c.jwks && c.jwksUri) fail('jwksUri', 'give the keys one way: jwks or jwksUri, not both');
  } else {
    if (c.jwks) fail('jwks', 'keys are for private_key_jwt clients only');
    if (c.jwksUri) fail('jwksUri', 'keys are for private_key_jwt clients only');
  }
  if (new Set(c.grantTypes).size !== c.grantTypes.length) fail('grantTypes', 'must be unique');
  if (new Set(c.responseTypes).size !== c.responseTypes.length) fail('responseTypes', 'must be unique');
  // RFC 7591 §2.1: a response type with "code" needs authorization_code; with "token" or
  // "id_token" it needs implicit; and each grant needs a response type that uses it.
  const withCode = c.responseTypes.some((t) => t.split(' ').includes('code'));
  const withTokens = c.responseTypes.some((t) => /\b(id_token|token)\b/.test(t));
  if (withCode && !c.grantTypes.includes('authorization_code')) fail('grantTypes', 'response types with code need the authorization_code grant');
  if (withTokens && !c.grantTypes.includes('implicit')) fail('grantTypes', 'response types with token or id_token need the implicit grant');
  if (c.grantTypes.includes('authorization_code') && !withCode) fail('responseTypes', 'the authorization_code grant needs a response type with code');
  if (c.grantTypes.includes('implicit') && !withTokens) fail('responseTypes', 'the implicit grant needs a response type with token or id_token');
  if ((withCode || withTokens) && c.redirectUris.length === 0) fail('redirectUris', 'at least one is required to use the authorization endpoint');
  if (c.grantTypes.includes('refresh_token') && !c.grantTypes.includes('authorization_code') && !c.grantTypes.includes(DEVICE_CODE_GRANT)) fail('grantTypes', 'refresh_token needs authorization_code or the device_code grant');
  if (isPublic && c.grantTypes.includes('client_credentials')) fail('grantTypes', 'a public client cannot use client_credentials');
  // RFC 8693 §2.1: the client authenticates (an exchange by anyone holding a token would be a token laundry).
  if (isPublic && c.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) fail('grantTypes', 'a public client cannot use token exchange');
  if (isPublic && c.admin) fail('admin', 'a public client cannot be an admin client');
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? '') || undefined;
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
  const oauth = field === 'redirectUris' || field === 'postLogoutRedirectUris' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  throw new ClientError('ERR_CLIENT_INVALID', field ? `${field}: ${message}` : message, field, oauth);
}

/** A client as shown to operators: everything but the secret's digest. */
export function publicClient(c: Client) {
  return {
    clientId: c.id,
    name: c.name,
    logoUri: c.logoUri ?? null,
    clientUri: c.clientUri ?? null,
    public: authMethodOf(c) === 'none',
    tokenEndpointAuthMethod: authMethodOf(c),
    jwks: c.jwks ?? null,
    jwksUri: c.jwksUri ?? null,
    secretExpiresAt: c.secretExpiresAt?.toISOString() ?? null,
    redirectUris: c.redirectUris,
    postLogoutRedirectUris: c.postLogoutRedirectUris,
    allowedOrigins: c.allowedOrigins,
    grantTypes: c.grantTypes,
    responseTypes: c.responseTypes,
    backchannelLogoutUri: c.backchannelLogoutUri ?? null,
    firstParty: c.firstParty,
    logoutAll: c.logoutAll,
    admin: c.admin,
    requireMfa: c.requireMfa,
    requirePar: c.requirePar,
    requireDpop: c.requireDpop,
    idTokenSignedResponseAlg: c.idTokenSignedResponseAlg ?? null,
    extraIdTokenClaims: c.extraIdTokenClaims,
    userRestrictions: c.userRestrictions,
    audiences: c.audiences,
    tokenExchange: c.tokenExchange ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
