import { GraphQLJSONObject } from 'graphql-scalars';
import { Authorized, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { publicClient } from '../../clients/client-service.js';
import type { Client as ClientEntity } from '../../db/entities/client.js';
import { ADMIN } from '../auth.js';
import { connectionOf } from './connection.js';

/** One class for output and input: the same three fields either way. */
@Authorized(ADMIN)
@ObjectType({ description: 'An extra ID-token claim taken from a user field, released only with its scope.' })
@InputType('ExtraClaimInput', { description: 'An extra ID-token claim from a user field (username, email, emailVerified, givenName, familyName, locale, picture).' })
export class ExtraClaim {
  @Field(() => String, { description: 'The claim name.' })
  claim!: string;

  @Field(() => String, { description: 'The user field it is read from.' })
  field!: string;

  @Field(() => String, { description: 'The scope that releases it.' })
  scope!: string;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A user who may not use the client: one whose field equals the value (case-insensitive).' })
@InputType('UserRestrictionInput', { description: 'A user restriction: users whose field equals the value may not use the client.' })
export class UserRestriction {
  @Field(() => String, { description: 'The user field.' })
  field!: string;

  @Field(() => String, { description: 'The value that denies access.' })
  equals!: string;
}

@Authorized(ADMIN)
@ObjectType({ description: 'What a client may get by token exchange (RFC 8693).' })
@InputType('TokenExchangePolicyInput', { description: 'What a client may get by token exchange (RFC 8693); replaces the whole policy.' })
export class TokenExchangePolicy {
  @Field(() => [String], { description: 'The registered resources it may ask tokens for (the audience or resource of the exchange).' })
  audiences!: string[];

  @Field(() => [String], { nullable: true, description: 'The only scopes it may ask for; null: any of the audience\'s.' })
  scopes?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'It may ask for scopes the subject token lacks (default false: never wider than the subject token).' })
  widen?: boolean | null;
}

@Authorized(ADMIN)
@ObjectType({ description: 'An application registered at the provider (a relying party). Every field needs the admin scope.' })
export class Client {
  @Field(() => ID, { description: 'The client_id.' })
  id!: string;

  @Field(() => String, { description: 'Display name, shown on the consent page.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'https URL of a logo shown on the consent page.' })
  logoUri!: string | null;

  @Field(() => String, { nullable: true, description: 'The application\'s home page (RFC 7591 client_uri): the "Back to" link of the provider\'s error pages.' })
  clientUri!: string | null;

  @Field(() => Boolean, { description: 'A public client (SPA, native app): no secret, PKCE required.' })
  public!: boolean;

  @Field(() => String, { description: 'How it authenticates at the token, introspection and revocation endpoints: client_secret_basic (or _post) with its secret, client_secret_jwt with assertions MACed with its secret (OIDC Core §9), private_key_jwt with its keys (RFC 7523), none for a public client.' })
  tokenEndpointAuthMethod!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'A private_key_jwt client\'s public keys, a JWK Set; null otherwise or when they are at jwksUri.' })
  jwks!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'Where a private_key_jwt client\'s JWK Set is fetched; null otherwise or when its keys are inline.' })
  jwksUri!: string | null;

  @Field(() => [String], { description: 'Exact redirect URIs.' })
  redirectUris!: string[];

  @Field(() => [String], { description: 'Exact post-logout redirect URIs.' })
  postLogoutRedirectUris!: string[];

  @Field(() => [String], { description: 'Origins allowed by CORS.' })
  allowedOrigins!: string[];

  @Field(() => [String], { description: 'Grant types it may use.' })
  grantTypes!: string[];

  @Field(() => [String], { description: 'Response types it may use.' })
  responseTypes!: string[];

  @Field(() => Boolean, { description: 'First-party: no consent page.' })
  firstParty!: boolean;

  @Field(() => Boolean, { description: 'Logout at this client ends the whole provider session.' })
  logoutAll!: boolean;

  @Field(() => Boolean, { description: 'May obtain the admin scope with client_credentials.' })
  admin!: boolean;

  @Field(() => Boolean, { description: 'Every sign-in to it ends with a second factor, as under JWT_OIDC_MFA=required: a user without one sets one up, a session without one is stepped up; its ID tokens state acr urn:jwt-oidc:mfa.' })
  requireMfa!: boolean;

  @Field(() => Boolean, { description: 'require_pushed_authorization_requests (RFC 9126): its authorization requests must be pushed to /par first; a plain one is refused with invalid_request. JWT_OIDC_REQUIRE_PAR requires it of every client.' })
  requirePar!: boolean;

  @Field(() => Boolean, { description: 'dpop_bound_access_tokens (RFC 9449 §5.2): its token requests must carry a DPoP proof, so its access tokens are always bound to its key; one without is refused with invalid_dpop_proof.' })
  requireDpop!: boolean;

  @Field(() => String, { nullable: true, description: 'id_token_signed_response_alg; null: the server default.' })
  idTokenSignedResponseAlg!: string | null;

  @Field(() => [String], { description: 'Third-party audiences added to its access tokens.' })
  audiences!: string[];

  @Field(() => TokenExchangePolicy, { nullable: true, description: 'Its token-exchange policy (RFC 8693); null: it may exchange for no audience.' })
  tokenExchange!: TokenExchangePolicy | null;

  @Field(() => String, { nullable: true, description: 'Where logout tokens are POSTed (OIDC Back-Channel Logout).' })
  backchannelLogoutUri!: string | null;

  @Field(() => [ExtraClaim], { description: 'Extra ID-token claims.' })
  extraIdTokenClaims!: ExtraClaim[];

  @Field(() => [UserRestriction], { description: 'Users who may not use it.' })
  userRestrictions!: UserRestriction[];

  @Field(() => Date, { description: 'When it was registered.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it last changed.' })
  updatedAt!: Date;
}

export const ClientConnection = connectionOf(Client, 'Client');

export function toClient(c: ClientEntity): Client {
  return {
    ...publicClient(c),
    id: c.id,
    extraIdTokenClaims: Object.entries(c.extraIdTokenClaims).map(([claim, { field, scope }]) => ({ claim, field, scope })),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

@ObjectType({ description: 'A client, and its secret when one was just made (shown this once).' })
export class ClientWithSecret {
  @Field(() => Client, { description: 'The client.' })
  client!: Client;

  @Field(() => String, { nullable: true, description: 'The client_secret: returned only now; null for a public client.' })
  clientSecret!: string | null;
}

@InputType({ description: 'Client metadata; omitted fields take their defaults (create) or stay as they are (update).' })
export class ClientMetadataInput {
  @Field(() => String, { nullable: true, description: 'Display name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'https URL of a logo.' })
  logoUri?: string | null;

  @Field(() => String, { nullable: true, description: 'The application\'s home page: https, or http on loopback.' })
  clientUri?: string | null;

  @Field(() => [String], { nullable: true, description: 'Exact redirect URIs: https, http on loopback, or a reverse-domain app scheme.' })
  redirectUris?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Exact post-logout redirect URIs.' })
  postLogoutRedirectUris?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Origins allowed by CORS, e.g. https://app.example.' })
  allowedOrigins?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code (device sign-in, RFC 8628), urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) (default: the first two).' })
  grantTypes?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Response types (default: code, when authorization_code is allowed).' })
  responseTypes?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'First-party: no consent page.' })
  firstParty?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Logout at this client ends the whole provider session (default true for a new client; false: only its own grants).' })
  logoutAll?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'May obtain the admin scope with client_credentials.' })
  admin?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Every sign-in to it ends with a second factor, as under JWT_OIDC_MFA=required (default false).' })
  requireMfa?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'require_pushed_authorization_requests (RFC 9126): its authorization requests must be pushed to /par first (default false).' })
  requirePar?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'dpop_bound_access_tokens (RFC 9449 §5.2): its token requests must carry a DPoP proof (default false).' })
  requireDpop?: boolean | null;

  @Field(() => String, { nullable: true, description: 'id_token_signed_response_alg, e.g. RS256.' })
  idTokenSignedResponseAlg?: string | null;

  @Field(() => [String], { nullable: true, description: 'Third-party audiences added to its access tokens.' })
  audiences?: string[] | null;

  @Field(() => TokenExchangePolicy, { nullable: true, description: 'Its token-exchange policy (RFC 8693), replaced whole; it also needs the grant type urn:ietf:params:oauth:grant-type:token-exchange. On an update, null removes it.' })
  tokenExchange?: TokenExchangePolicy | null;

  @Field(() => String, { nullable: true, description: 'Where logout tokens are POSTed (OIDC Back-Channel Logout); https, or http on loopback.' })
  backchannelLogoutUri?: string | null;

  @Field(() => [ExtraClaim], { nullable: true, description: 'Extra ID-token claims (replaces the list).' })
  extraIdTokenClaims?: ExtraClaim[] | null;

  @Field(() => [UserRestriction], { nullable: true, description: 'User restrictions (replaces the list).' })
  userRestrictions?: UserRestriction[] | null;

  @Field(() => String, { nullable: true, description: 'client_secret_basic, client_secret_post (a secret), client_secret_jwt (assertions MACed with its secret, HS256/384/512), private_key_jwt (keys: give jwks or jwksUri; the client then has no secret) or none (public). A client with a secret may move to private_key_jwt; to a secret, or to or from client_secret_jwt, with rotateClientSecret (which makes the new secret).' })
  tokenEndpointAuthMethod?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'For private_key_jwt: a JWK Set of public signing keys (RSA, EC, OKP; no private members); replaces jwksUri.' })
  jwks?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'For private_key_jwt: the https URL of its JWK Set, fetched and cached by the provider; replaces jwks.' })
  jwksUri?: string | null;
}

@InputType({ description: 'A new client.' })
export class CreateClientInput extends ClientMetadataInput {
  @Field(() => String, { nullable: true, description: 'Choose the client_id (default: 128 random bits).' })
  id?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'A public client: no secret, PKCE required (default false).' })
  public?: boolean | null;
}

@InputType({ description: 'An initial access token for dynamic client registration (RFC 7591 §3).' })
export class CreateInitialAccessTokenInput {
  @Field(() => Int, { nullable: true, description: 'Seconds it stays valid (default 86400, at most 30 days).' })
  expiresIn?: number | null;

  @Field(() => Int, { nullable: true, description: 'How many clients it may register (default 1, at most 10000).' })
  maxUses?: number | null;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A new initial access token: the token itself is returned only now.' })
export class InitialAccessTokenResult {
  @Field(() => String, { description: 'The token, for `Authorization: Bearer` at /register. Only its digest is kept.' })
  token!: string;

  @Field(() => Date, { description: 'When it stops working.' })
  expiresAt!: Date;

  @Field(() => Int, { description: 'How many clients it may register.' })
  maxUses!: number;
}
