import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A relying party registered at the provider (django-jwt-oidc's "host"; RFC 7591 §2 metadata). Secrets are
 * stored as SHA-256 digests: they are ≥ 256 random bits, so a digest is as good as a slow hash
 * and lets the token endpoint compare in constant time without burning CPU.
 */
/** A client's token-exchange policy (RFC 8693 §1; README "Token exchange"). */
export interface TokenExchangePolicy {
  audiences: string[];
  scopes?: string[];
  widen?: boolean;
}

/** The administration's search (src/db/search.ts): a trigram and a prefix index on `id` and `name` (docs/OPERATIONS.md "Search indexes"). */
@Entity({ tableName: 'clients' })
@Index({ name: 'clients_id_trgm', expression: 'create index "clients_id_trgm" on "clients" using gin ("id" gin_trgm_ops)' })
@Index({ name: 'clients_id_prefix', expression: 'create index "clients_id_prefix" on "clients" (lower("id") text_pattern_ops)' })
@Index({ name: 'clients_name_trgm', expression: 'create index "clients_name_trgm" on "clients" using gin ("name" gin_trgm_ops)' })
@Index({ name: 'clients_name_prefix', expression: 'create index "clients_name_prefix" on "clients" (lower("name") text_pattern_ops)' })
export class Client {
  [OptionalProps]?:
    | 'postLogoutRedirectUris'
    | 'allowedOrigins'
    | 'grantTypes'
    | 'responseTypes'
    | 'firstParty'
    | 'logoutAll'
    | 'admin'
    | 'requireMfa'
    | 'requirePar'
    | 'requireDpop'
    | 'extraIdTokenClaims'
    | 'userRestrictions'
    | 'audiences'
    | 'tokenExchange'
    | 'createdAt'
    | 'updatedAt';

  /** `client_id`. */
  @PrimaryKey({ type: 'string', length: 128 })
  id!: string;

  /** SHA-256 of the secret, base64url; null for public clients (`token_endpoint_auth_method=none`) and for `private_key_jwt` ones. */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  secretHash?: string | null;

  /**
   * A `client_secret_jwt` client's secret itself, sealed with JWT_OIDC_KEY_ENCRYPTION_SECRET
   * (src/keys/encryption.ts, bound to the client id): an HMAC assertion (OIDC Core §9) cannot be
   * checked from a digest. Null for every other client (docs/SECURITY.md CA-11).
   */
  @Property({ type: 'text', nullable: true, hidden: true })
  sealedSecret?: string | null;

  /** The secret stops working at this instant (null: never). */
  @Property({ type: 'datetime', nullable: true })
  secretExpiresAt?: Date | null;

  /**
   * `token_endpoint_auth_method` when it is not told by the secret: `private_key_jwt` (RFC 7523
   * §2.2), a confidential client without a secret that signs assertions with its keys, or
   * `client_secret_jwt` (OIDC Core §9), whose assertions are MACed with its secret. Null:
   * `client_secret_basic`/`_post` with a secret, `none` without (docs/SECURITY.md section V).
   */
  @Property({ type: 'string', length: 32, nullable: true })
  tokenEndpointAuthMethod?: string | null;

  /** The `private_key_jwt` client's public keys, a JWK Set (RFC 7591 §2 `jwks`); or null. */
  @Property({ type: 'json', nullable: true })
  jwks?: { keys: Record<string, unknown>[] } | null;

  /** Where the `private_key_jwt` client's JWK Set is fetched (RFC 7591 §2 `jwks_uri`); or null. */
  @Property({ type: 'string', length: 2048, nullable: true })
  jwksUri?: string | null;

  @Property({ type: 'string', length: 255 })
  name!: string;

  @Property({ type: 'string', length: 2048, nullable: true })
  logoUri?: string | null;

  /** The application's home page (RFC 7591 §2 `client_uri`): the "Back to" link of error pages. */
  @Property({ type: 'string', length: 2048, nullable: true })
  clientUri?: string | null;

  /** Exact redirect URIs (RFC 6749 §3.1.2; compared byte for byte). */
  @Property({ type: 'json' })
  redirectUris!: string[];

  @Property({ type: 'json', default: '[]' })
  postLogoutRedirectUris: string[] = [];

  /**
   * Origins allowed by CORS on the OIDC endpoints and GraphQL. GIN-indexed: a CORS check asks
   * which client lists an origin (`allowed_origins @> '["…"]'`, src/clients/client-registry.ts).
   */
  @Index({ name: 'clients_allowed_origins_index', type: 'gin' })
  @Property({ type: 'json', default: '[]' })
  allowedOrigins: string[] = [];

  @Property({ type: 'json', default: '["authorization_code","refresh_token"]' })
  grantTypes: string[] = ['authorization_code', 'refresh_token'];

  @Property({ type: 'json', default: '["code"]' })
  responseTypes: string[] = ['code'];

  /** A first-party client skips the consent page. */
  @Property({ type: 'boolean', default: false })
  firstParty: boolean = false;

  /** At logout: end the whole provider session (true, the default) or only this client's grants (false). */
  @Property({ type: 'boolean', default: true })
  logoutAll: boolean = true;

  /** May obtain the `admin` scope with client_credentials. */
  @Property({ type: 'boolean', default: false })
  admin: boolean = false;

  /**
   * Every sign-in to this client ends with a second factor, as under JWT_OIDC_MFA=required
   * (docs/ACCOUNTS.md "Two-step sign-in").
   */
  @Property({ type: 'boolean', default: false })
  requireMfa: boolean = false;

  /**
   * `require_pushed_authorization_requests` (RFC 9126 §6): its authorization requests must come
   * through `/par`; a plain one is refused (docs/SECURITY.md PAR-05).
   */
  @Property({ type: 'boolean', default: false })
  requirePar: boolean = false;

  /**
   * `dpop_bound_access_tokens` (RFC 9449 §5.2): its token requests must carry a DPoP proof, so
   * that every access token it gets is bound to its key (docs/SECURITY.md DP-12).
   */
  @Property({ type: 'boolean', default: false })
  requireDpop: boolean = false;

  /** `id_token_signed_response_alg`; null: SIGNATURE_ALG. */
  @Property({ type: 'string', length: 8, nullable: true })
  idTokenSignedResponseAlg?: string | null;

  /** Extra ID-token claims from user fields, gated by scope: `{claim: {field, scope}}`. */
  @Property({ type: 'json', default: '{}' })
  extraIdTokenClaims: Record<string, { field: string; scope: string }> = {};

  /** Users who may not use this client (deny-list rules). */
  @Property({ type: 'json', default: '[]' })
  userRestrictions: { field: string; equals: string }[] = [];

  /** OIDC Back-Channel Logout 1.0: where logout tokens are POSTed when a session ends. */
  @Property({ type: 'string', length: 2048, nullable: true })
  backchannelLogoutUri?: string | null;

  /** Third-party audiences added to this client's access tokens. */
  @Property({ type: 'json', default: '[]' })
  audiences: string[] = [];

  /**
   * What this client may get by token exchange (RFC 8693; README "Token exchange"): the
   * audiences (registered resources) it may ask for, the scopes it may ask for there, and whether
   * it may ask for scopes the subject token lacks (`widen`). Null: no exchange policy, every
   * audience refused (docs/SECURITY.md TE-03).
   */
  @Property({ type: 'json', nullable: true })
  tokenExchange?: TokenExchangePolicy | null;

  /**
   * OpenID Connect Dynamic Client Registration 1.0 §2 `application_type`: `web` (https redirect
   * URIs, no localhost) or `native` (private-use schemes or loopback http). Null: no such rule,
   * as for clients made by administrators.
   */
  @Property({ type: 'string', length: 8, nullable: true })
  applicationType?: string | null;

  /**
   * SHA-256 of the registration access token of a client registered at `/register` (RFC 7592
   * §3), with which it reads, replaces and deletes itself; null for clients made by
   * administrators, which cannot be managed there.
   */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  registrationTokenHash?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
