/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Which audit events: every given condition must hold. */
export type AuditEventFilter = {
  /** Only events of this actor (a user id, a client id, `schedule` or `cli`). */
  actor?: string | null | undefined;
  /** Only events involving this client. */
  client?: string | null | undefined;
  /** Only events from this time on. */
  since?: string | null | undefined;
  /** Only these types (the `types` of the `auditEvents` subscription). */
  types?: Array<string> | null | undefined;
  /** Only events before this time. */
  until?: string | null | undefined;
};

/** Client metadata; omitted fields take their defaults (create) or stay as they are (update). */
export type ClientMetadataInput = {
  /** May obtain the admin scope with client_credentials. */
  admin?: boolean | null | undefined;
  /** Origins allowed by CORS, e.g. https://app.example. */
  allowedOrigins?: Array<string> | null | undefined;
  /** Third-party audiences added to its access tokens. */
  audiences?: Array<string> | null | undefined;
  /** Where logout tokens are POSTed (OIDC Back-Channel Logout); https, or http on loopback. */
  backchannelLogoutUri?: string | null | undefined;
  /** The application's home page: https, or http on loopback. */
  clientUri?: string | null | undefined;
  /** Extra ID-token claims (replaces the list). */
  extraIdTokenClaims?: Array<ExtraClaimInput> | null | undefined;
  /** First-party: no consent page. */
  firstParty?: boolean | null | undefined;
  /** authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code (device sign-in, RFC 8628), urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) (default: the first two). */
  grantTypes?: Array<string> | null | undefined;
  /** id_token_signed_response_alg, e.g. RS256. */
  idTokenSignedResponseAlg?: string | null | undefined;
  /** For private_key_jwt: a JWK Set of public signing keys (RSA, EC, OKP; no private members); replaces jwksUri. */
  jwks?: Record<string, unknown> | null | undefined;
  /** For private_key_jwt: the https URL of its JWK Set, fetched and cached by the provider; replaces jwks. */
  jwksUri?: string | null | undefined;
  /** https URL of a logo. */
  logoUri?: string | null | undefined;
  /** Logout at this client ends the whole provider session (default true for a new client; false: only its own grants). */
  logoutAll?: boolean | null | undefined;
  /** Display name. */
  name?: string | null | undefined;
  /** Exact post-logout redirect URIs. */
  postLogoutRedirectUris?: Array<string> | null | undefined;
  /** Exact redirect URIs: https, http on loopback, or a reverse-domain app scheme. */
  redirectUris?: Array<string> | null | undefined;
  /** dpop_bound_access_tokens (RFC 9449 §5.2): its token requests must carry a DPoP proof (default false). */
  requireDpop?: boolean | null | undefined;
  /** Every sign-in to it ends with a second factor, as under JWT_OIDC_MFA=required (default false). */
  requireMfa?: boolean | null | undefined;
  /** require_pushed_authorization_requests (RFC 9126): its authorization requests must be pushed to /par first (default false). */
  requirePar?: boolean | null | undefined;
  /** Response types (default: code, when authorization_code is allowed). */
  responseTypes?: Array<string> | null | undefined;
  /** client_secret_basic, client_secret_post (a secret), client_secret_jwt (assertions MACed with its secret, HS256/384/512), private_key_jwt (keys: give jwks or jwksUri; the client then has no secret) or none (public). A client with a secret may move to private_key_jwt; to a secret, or to or from client_secret_jwt, with rotateClientSecret (which makes the new secret). */
  tokenEndpointAuthMethod?: string | null | undefined;
  /** Its token-exchange policy (RFC 8693), replaced whole; it also needs the grant type urn:ietf:params:oauth:grant-type:token-exchange. On an update, null removes it. */
  tokenExchange?: TokenExchangePolicyInput | null | undefined;
  /** User restrictions (replaces the list). */
  userRestrictions?: Array<UserRestrictionInput> | null | undefined;
};

/** A new client. */
export type CreateClientInput = {
  /** May obtain the admin scope with client_credentials. */
  admin?: boolean | null | undefined;
  /** Origins allowed by CORS, e.g. https://app.example. */
  allowedOrigins?: Array<string> | null | undefined;
  /** Third-party audiences added to its access tokens. */
  audiences?: Array<string> | null | undefined;
  /** Where logout tokens are POSTed (OIDC Back-Channel Logout); https, or http on loopback. */
  backchannelLogoutUri?: string | null | undefined;
  /** The application's home page: https, or http on loopback. */
  clientUri?: string | null | undefined;
  /** Extra ID-token claims (replaces the list). */
  extraIdTokenClaims?: Array<ExtraClaimInput> | null | undefined;
  /** First-party: no consent page. */
  firstParty?: boolean | null | undefined;
  /** authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code (device sign-in, RFC 8628), urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) (default: the first two). */
  grantTypes?: Array<string> | null | undefined;
  /** Choose the client_id (default: 128 random bits). */
  id?: string | null | undefined;
  /** id_token_signed_response_alg, e.g. RS256. */
  idTokenSignedResponseAlg?: string | null | undefined;
  /** For private_key_jwt: a JWK Set of public signing keys (RSA, EC, OKP; no private members); replaces jwksUri. */
  jwks?: Record<string, unknown> | null | undefined;
  /** For private_key_jwt: the https URL of its JWK Set, fetched and cached by the provider; replaces jwks. */
  jwksUri?: string | null | undefined;
  /** https URL of a logo. */
  logoUri?: string | null | undefined;
  /** Logout at this client ends the whole provider session (default true for a new client; false: only its own grants). */
  logoutAll?: boolean | null | undefined;
  /** Display name. */
  name?: string | null | undefined;
  /** Exact post-logout redirect URIs. */
  postLogoutRedirectUris?: Array<string> | null | undefined;
  /** A public client: no secret, PKCE required (default false). */
  public?: boolean | null | undefined;
  /** Exact redirect URIs: https, http on loopback, or a reverse-domain app scheme. */
  redirectUris?: Array<string> | null | undefined;
  /** dpop_bound_access_tokens (RFC 9449 §5.2): its token requests must carry a DPoP proof (default false). */
  requireDpop?: boolean | null | undefined;
  /** Every sign-in to it ends with a second factor, as under JWT_OIDC_MFA=required (default false). */
  requireMfa?: boolean | null | undefined;
  /** require_pushed_authorization_requests (RFC 9126): its authorization requests must be pushed to /par first (default false). */
  requirePar?: boolean | null | undefined;
  /** Response types (default: code, when authorization_code is allowed). */
  responseTypes?: Array<string> | null | undefined;
  /** client_secret_basic, client_secret_post (a secret), client_secret_jwt (assertions MACed with its secret, HS256/384/512), private_key_jwt (keys: give jwks or jwksUri; the client then has no secret) or none (public). A client with a secret may move to private_key_jwt; to a secret, or to or from client_secret_jwt, with rotateClientSecret (which makes the new secret). */
  tokenEndpointAuthMethod?: string | null | undefined;
  /** Its token-exchange policy (RFC 8693), replaced whole; it also needs the grant type urn:ietf:params:oauth:grant-type:token-exchange. On an update, null removes it. */
  tokenExchange?: TokenExchangePolicyInput | null | undefined;
  /** User restrictions (replaces the list). */
  userRestrictions?: Array<UserRestrictionInput> | null | undefined;
};

/** A new resource. */
export type CreateResourceInput = {
  /** Seconds its access tokens live (1–86400); null: the server default. */
  accessTokenLifetime?: number | null | undefined;
  /** A signing algorithm of the provider; null: the server default. */
  alg?: string | null | undefined;
  /** The resource indicator: an absolute URI without fragment or query (RFC 8707 §2). */
  id: string;
  /** The scopes its access tokens may carry (not openid, offline_access or admin). */
  scopes: Array<string>;
};

/** A new user; flags default to not verified, not admin, active. */
export type CreateUserInput = {
  /** Can log in; false ends the user's sessions and grants. */
  active?: boolean | null | undefined;
  /** May obtain the admin scope. */
  admin?: boolean | null | undefined;
  /** Email address. */
  email?: string | null | undefined;
  /** Whether the email address is verified. */
  emailVerified?: boolean | null | undefined;
  /** Family name. */
  familyName?: string | null | undefined;
  /** Given name. */
  givenName?: string | null | undefined;
  /** BCP 47 language tag. */
  locale?: string | null | undefined;
  /** Initial password (8–1024 characters); none: the user cannot log in with a password. */
  password?: string | null | undefined;
  /** http(s) URL of a profile picture. */
  picture?: string | null | undefined;
  /** Login name; stored in lower case; letters, digits and . _ @ + -. */
  username: string;
};

/** An extra ID-token claim from a user field (username, email, emailVerified, givenName, familyName, locale, picture). */
export type ExtraClaimInput = {
  /** The claim name. */
  claim: string;
  /** The user field it is read from. */
  field: string;
  /** The scope that releases it. */
  scope: string;
};

/** Changes to a resource; fields left out stay as they are. */
export type ResourceMetadataInput = {
  /** Seconds its access tokens live (1–86400); null: the server default. */
  accessTokenLifetime?: number | null | undefined;
  /** A signing algorithm of the provider; null: the server default. */
  alg?: string | null | undefined;
  /** The scopes its access tokens may carry (not openid, offline_access or admin). */
  scopes?: Array<string> | null | undefined;
};

/** What a client may get by token exchange (RFC 8693); replaces the whole policy. */
export type TokenExchangePolicyInput = {
  /** The registered resources it may ask tokens for (the audience or resource of the exchange). */
  audiences: Array<string>;
  /** The only scopes it may ask for; null: any of the audience's. */
  scopes?: Array<string> | null | undefined;
  /** It may ask for scopes the subject token lacks (default false: never wider than the subject token). */
  widen?: boolean | null | undefined;
};

/** What users may change about themselves. */
export type UpdateMeInput = {
  /** Family name. */
  familyName?: string | null | undefined;
  /** Given name. */
  givenName?: string | null | undefined;
  /** BCP 47 language tag. */
  locale?: string | null | undefined;
  /** http(s) URL of a profile picture. */
  picture?: string | null | undefined;
};

/** Changes to a user; omitted fields stay as they are. */
export type UpdateUserInput = {
  /** Can log in; false ends the user's sessions and grants. */
  active?: boolean | null | undefined;
  /** May obtain the admin scope. */
  admin?: boolean | null | undefined;
  /** Email address. */
  email?: string | null | undefined;
  /** Whether the email address is verified. */
  emailVerified?: boolean | null | undefined;
  /** Family name. */
  familyName?: string | null | undefined;
  /** Given name. */
  givenName?: string | null | undefined;
  /** BCP 47 language tag. */
  locale?: string | null | undefined;
  /** http(s) URL of a profile picture. */
  picture?: string | null | undefined;
};

/** A user restriction: users whose field equals the value may not use the client. */
export type UserRestrictionInput = {
  /** The value that denies access. */
  equals: string;
  /** The user field. */
  field: string;
};

export type ConsoleMeQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleMeQuery = { me: { sub: string, scopes: Array<string>, user: { id: string, username: string } | null } };

export type AccountPageQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountPageQuery = { me: { sub: string, user: { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null } | null, sessions: Array<{ id: string, createdAt: string, authTime: string, expiresAt: string, current: boolean, userAgent: string | null, ip: string | null }>, connectedApps: Array<{ clientId: string, clientName: string, clientUri: string | null, scopes: Array<string>, firstGrantedAt: string, lastUsedAt: string | null, activeGrants: number }>, factors: Array<{ id: string, kind: string, name: string, createdAt: string, lastUsedAt: string | null }> } };

export type AccountAppFragment = { clientId: string, clientName: string, clientUri: string | null, scopes: Array<string>, firstGrantedAt: string, lastUsedAt: string | null, activeGrants: number };

export type AccountRevokeAppMutationVariables = Exact<{
  clientId: string | number;
}>;


export type AccountRevokeAppMutation = { revokeMyGrant: boolean };

export type AccountChangeEmailMutationVariables = Exact<{
  currentPassword: string;
  email: string;
}>;


export type AccountChangeEmailMutation = { changeMyEmail: boolean };

export type AccountStartPasskeyMutationVariables = Exact<{
  currentPassword: string;
}>;


export type AccountStartPasskeyMutation = { startPasskeyRegistration: { id: string, options: string } };

export type AccountFinishPasskeyMutationVariables = Exact<{
  id: string | number;
  response: string;
  name: string;
}>;


export type AccountFinishPasskeyMutation = { finishPasskeyRegistration: { recoveryCodes: Array<string> | null, factor: { id: string, name: string } } };

export type AccountChangePasswordMutationVariables = Exact<{
  currentPassword: string;
  newPassword: string;
  endOtherSessions: boolean;
}>;


export type AccountChangePasswordMutation = { changeMyPassword: boolean };

export type AccountUserFragment = { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null };

export type AccountUpdateMeMutationVariables = Exact<{
  input: UpdateMeInput;
}>;


export type AccountUpdateMeMutation = { updateMe: { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null } };

export type AccountSessionFragment = { id: string, createdAt: string, authTime: string, expiresAt: string, current: boolean, userAgent: string | null, ip: string | null };

export type AccountEndSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type AccountEndSessionMutation = { endMySession: boolean };

export type AccountFactorFragment = { id: string, kind: string, name: string, createdAt: string, lastUsedAt: string | null };

export type AccountStartTotpMutationVariables = Exact<{
  currentPassword: string;
}>;


export type AccountStartTotpMutation = { startTotpEnrolment: { id: string, secret: string, otpauthUri: string, qrSvg: string } };

export type AccountConfirmTotpMutationVariables = Exact<{
  id: string | number;
  code: string;
  name: string;
}>;


export type AccountConfirmTotpMutation = { confirmTotpEnrolment: Array<string> };

export type AccountRegenerateRecoveryCodesMutationVariables = Exact<{
  currentPassword: string;
}>;


export type AccountRegenerateRecoveryCodesMutation = { regenerateRecoveryCodes: Array<string> };

export type AccountRemoveFactorMutationVariables = Exact<{
  id: string | number;
  currentPassword: string;
}>;


export type AccountRemoveFactorMutation = { removeMyFactor: boolean };

export type ConsoleAuditEventsQueryVariables = Exact<{
  filter?: AuditEventFilter | null | undefined;
  first: number;
  after?: string | null | undefined;
}>;


export type ConsoleAuditEventsQuery = { auditEvents: { edges: Array<{ node: { details: Record<string, unknown>, id: string, time: string, event: string, outcome: string, actor: string | null, client: string | null, ip: string | null, message: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleAuditLiveSubscriptionVariables = Exact<{
  types?: Array<string> | string | null | undefined;
}>;


export type ConsoleAuditLiveSubscription = { auditEvents: { details: Record<string, unknown>, id: string, time: string, event: string, outcome: string, actor: string | null, client: string | null, ip: string | null, message: string } };

export type ConsoleClientsRowFragment = { id: string, name: string, public: boolean, firstParty: boolean, admin: boolean, redirectUris: Array<string> };

export type ConsoleClientsDetailFragment = { id: string, name: string, public: boolean, tokenEndpointAuthMethod: string, jwks: Record<string, unknown> | null, jwksUri: string | null, redirectUris: Array<string>, postLogoutRedirectUris: Array<string>, allowedOrigins: Array<string>, grantTypes: Array<string>, responseTypes: Array<string>, firstParty: boolean, admin: boolean, requireMfa: boolean, requirePar: boolean, requireDpop: boolean, logoutAll: boolean, backchannelLogoutUri: string | null, clientUri: string | null, logoUri: string | null, idTokenSignedResponseAlg: string | null, audiences: Array<string>, createdAt: string, updatedAt: string, extraIdTokenClaims: Array<{ claim: string, field: string, scope: string }>, userRestrictions: Array<{ field: string, equals: string }> };

export type ConsoleClientsListQueryVariables = Exact<{
  search?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleClientsListQuery = { clients: { edges: Array<{ node: { id: string, name: string, public: boolean, firstParty: boolean, admin: boolean, redirectUris: Array<string> } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleClientsClientQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleClientsClientQuery = { client: { id: string, name: string, public: boolean, tokenEndpointAuthMethod: string, jwks: Record<string, unknown> | null, jwksUri: string | null, redirectUris: Array<string>, postLogoutRedirectUris: Array<string>, allowedOrigins: Array<string>, grantTypes: Array<string>, responseTypes: Array<string>, firstParty: boolean, admin: boolean, requireMfa: boolean, requirePar: boolean, requireDpop: boolean, logoutAll: boolean, backchannelLogoutUri: string | null, clientUri: string | null, logoUri: string | null, idTokenSignedResponseAlg: string | null, audiences: Array<string>, createdAt: string, updatedAt: string, extraIdTokenClaims: Array<{ claim: string, field: string, scope: string }>, userRestrictions: Array<{ field: string, equals: string }> } | null, keyRotationStatus: Array<{ family: string, alg: string | null }> };

export type ConsoleClientsDefaultsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleClientsDefaultsQuery = { keyRotationStatus: Array<{ family: string, alg: string | null }> };

export type ConsoleClientsCreateMutationVariables = Exact<{
  input: CreateClientInput;
}>;


export type ConsoleClientsCreateMutation = { createClient: { clientSecret: string | null, client: { id: string, name: string, public: boolean, tokenEndpointAuthMethod: string, jwks: Record<string, unknown> | null, jwksUri: string | null, redirectUris: Array<string>, postLogoutRedirectUris: Array<string>, allowedOrigins: Array<string>, grantTypes: Array<string>, responseTypes: Array<string>, firstParty: boolean, admin: boolean, requireMfa: boolean, requirePar: boolean, requireDpop: boolean, logoutAll: boolean, backchannelLogoutUri: string | null, clientUri: string | null, logoUri: string | null, idTokenSignedResponseAlg: string | null, audiences: Array<string>, createdAt: string, updatedAt: string, extraIdTokenClaims: Array<{ claim: string, field: string, scope: string }>, userRestrictions: Array<{ field: string, equals: string }> } } };

export type ConsoleClientsUpdateMutationVariables = Exact<{
  id: string | number;
  input: ClientMetadataInput;
}>;


export type ConsoleClientsUpdateMutation = { updateClient: { id: string, name: string, public: boolean, tokenEndpointAuthMethod: string, jwks: Record<string, unknown> | null, jwksUri: string | null, redirectUris: Array<string>, postLogoutRedirectUris: Array<string>, allowedOrigins: Array<string>, grantTypes: Array<string>, responseTypes: Array<string>, firstParty: boolean, admin: boolean, requireMfa: boolean, requirePar: boolean, requireDpop: boolean, logoutAll: boolean, backchannelLogoutUri: string | null, clientUri: string | null, logoUri: string | null, idTokenSignedResponseAlg: string | null, audiences: Array<string>, createdAt: string, updatedAt: string, extraIdTokenClaims: Array<{ claim: string, field: string, scope: string }>, userRestrictions: Array<{ field: string, equals: string }> } };

export type ConsoleClientsRotateSecretMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleClientsRotateSecretMutation = { rotateClientSecret: { clientSecret: string | null, client: { id: string, updatedAt: string } } };

export type ConsoleClientsDeleteMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleClientsDeleteMutation = { deleteClient: boolean };

export type ConsoleKeysFamilyFragment = { family: string, alg: string | null, activeKid: string | null, nextRotationAt: string | null, keys: Array<{ kid: string, alg: string, state: string, createdAt: string, activatesAt: string, retiresAt: string | null, deletesAt: string | null }> };

export type ConsoleKeysStatusQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleKeysStatusQuery = { keyRotationStatus: Array<{ family: string, alg: string | null, activeKid: string | null, nextRotationAt: string | null, keys: Array<{ kid: string, alg: string, state: string, createdAt: string, activatesAt: string, retiresAt: string | null, deletesAt: string | null }> }> };

export type ConsoleKeysRotateMutationVariables = Exact<{
  now: boolean;
}>;


export type ConsoleKeysRotateMutation = { rotateKeys: Array<{ family: string, alg: string | null, activeKid: string | null, nextRotationAt: string | null, keys: Array<{ kid: string, alg: string, state: string, createdAt: string, activatesAt: string, retiresAt: string | null, deletesAt: string | null }> }> };

export type ConsoleOverviewQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleOverviewQuery = { overview: { users: number, administrators: number, clients: number, activeSessions: number, activeGrants: number }, keyRotationStatus: Array<{ family: string, alg: string | null, activeKid: string | null, nextRotationAt: string | null, keys: Array<{ kid: string, state: string }> }>, auditEvents: { edges: Array<{ node: { id: string, time: string, event: string, outcome: string, actor: string | null, client: string | null, ip: string | null, message: string } }> } };

export type ConsoleResourceFragment = { id: string, scopes: Array<string>, accessTokenLifetime: number | null, alg: string | null, createdAt: string };

export type ConsoleResourcesListQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ConsoleResourcesListQuery = { resources: { edges: Array<{ node: { id: string, scopes: Array<string>, accessTokenLifetime: number | null, alg: string | null, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleResourcesResourceQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleResourcesResourceQuery = { resource: { id: string, scopes: Array<string>, accessTokenLifetime: number | null, alg: string | null, createdAt: string } | null, keyRotationStatus: Array<{ family: string, alg: string | null }> };

export type ConsoleResourcesAlgsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleResourcesAlgsQuery = { keyRotationStatus: Array<{ family: string, alg: string | null }> };

export type ConsoleResourcesCreateMutationVariables = Exact<{
  input: CreateResourceInput;
}>;


export type ConsoleResourcesCreateMutation = { createResource: { id: string, scopes: Array<string>, accessTokenLifetime: number | null, alg: string | null, createdAt: string } };

export type ConsoleResourcesUpdateMutationVariables = Exact<{
  id: string | number;
  input: ResourceMetadataInput;
}>;


export type ConsoleResourcesUpdateMutation = { updateResource: { id: string, scopes: Array<string>, accessTokenLifetime: number | null, alg: string | null, createdAt: string } };

export type ConsoleResourcesDeleteMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleResourcesDeleteMutation = { deleteResource: boolean };

export type ConsoleUsersRowFragment = { id: string, username: string, email: string | null, givenName: string | null, familyName: string | null, admin: boolean, active: boolean, createdAt: string };

export type ConsoleUsersListQueryVariables = Exact<{
  search?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleUsersListQuery = { users: { edges: Array<{ node: { id: string, username: string, email: string | null, givenName: string | null, familyName: string | null, admin: boolean, active: boolean, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ConsoleUsersCreateMutationVariables = Exact<{
  input: CreateUserInput;
}>;


export type ConsoleUsersCreateMutation = { createUser: { id: string, username: string, hasPassword: boolean } };

export type AuditEventRowFragment = { id: string, time: string, event: string, outcome: string, actor: string | null, client: string | null, ip: string | null, message: string };

export type ConsoleUsersInviteMutationVariables = Exact<{
  email: string;
  admin: boolean;
}>;


export type ConsoleUsersInviteMutation = { inviteUser: { email: string, admin: boolean, expiresAt: string } };

export type ConsoleUsersSessionFragment = { id: string, createdAt: string, authTime: string, amr: Array<string>, expiresAt: string };

export type ConsoleUsersGrantFragment = { id: string, clientId: string, scopes: Array<string>, createdAt: string, expiresAt: string, refreshCount: number, active: boolean, revokedAt: string | null };

export type ConsoleUsersRevokeSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUsersRevokeSessionMutation = { revokeSession: boolean };

export type ConsoleUsersRevokeGrantMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUsersRevokeGrantMutation = { revokeGrant: { id: string, clientId: string, scopes: Array<string>, createdAt: string, expiresAt: string, refreshCount: number, active: boolean, revokedAt: string | null } };

export type ConsoleUsersTwoStepFragment = { recoveryCodesLeft: number, factors: Array<{ id: string, kind: string, name: string, createdAt: string, lastUsedAt: string | null }> };

export type ConsoleUsersResetFactorsMutationVariables = Exact<{
  userId: string | number;
}>;


export type ConsoleUsersResetFactorsMutation = { resetUserFactors: number };

export type ConsoleUsersRemoveFactorMutationVariables = Exact<{
  userId: string | number;
  factorId: string | number;
}>;


export type ConsoleUsersRemoveFactorMutation = { removeUserFactor: boolean };

export type ConsoleUsersDetailFragment = { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null, admin: boolean, active: boolean, hasPassword: boolean, createdAt: string, updatedAt: string };

export type ConsoleUsersUserQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUsersUserQuery = { me: { sub: string }, user: { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null, admin: boolean, active: boolean, hasPassword: boolean, createdAt: string, updatedAt: string, recoveryCodesLeft: number, factors: Array<{ id: string, kind: string, name: string, createdAt: string, lastUsedAt: string | null }> } | null, sessions: Array<{ id: string, createdAt: string, authTime: string, amr: Array<string>, expiresAt: string }>, grants: Array<{ id: string, clientId: string, scopes: Array<string>, createdAt: string, expiresAt: string, refreshCount: number, active: boolean, revokedAt: string | null }> };

export type ConsoleUsersUpdateMutationVariables = Exact<{
  id: string | number;
  input: UpdateUserInput;
}>;


export type ConsoleUsersUpdateMutation = { updateUser: { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null, admin: boolean, active: boolean, hasPassword: boolean, createdAt: string, updatedAt: string } };

export type ConsoleUsersSetPasswordMutationVariables = Exact<{
  id: string | number;
  password?: string | null | undefined;
}>;


export type ConsoleUsersSetPasswordMutation = { setUserPassword: { id: string, username: string, email: string | null, emailVerified: boolean, givenName: string | null, familyName: string | null, locale: string | null, picture: string | null, admin: boolean, active: boolean, hasPassword: boolean, createdAt: string, updatedAt: string } };

export type ConsoleUsersDeleteMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUsersDeleteMutation = { deleteUser: boolean };

export const AccountAppFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountApp"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectedApp"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"clientName"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"firstGrantedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"activeGrants"}}]}}]} as unknown as DocumentNode<AccountAppFragment, unknown>;
export const AccountUserFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountUser"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PublicUser"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}}]}}]} as unknown as DocumentNode<AccountUserFragment, unknown>;
export const AccountSessionFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountSession"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MySession"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"authTime"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"current"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}}]}}]} as unknown as DocumentNode<AccountSessionFragment, unknown>;
export const AccountFactorFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountFactor"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Factor"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}}]}}]} as unknown as DocumentNode<AccountFactorFragment, unknown>;
export const ConsoleClientsRowFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}}]}}]} as unknown as DocumentNode<ConsoleClientsRowFragment, unknown>;
export const ConsoleClientsDetailFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"tokenEndpointAuthMethod"}},{"kind":"Field","name":{"kind":"Name","value":"jwks"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUri"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"postLogoutRedirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"allowedOrigins"}},{"kind":"Field","name":{"kind":"Name","value":"grantTypes"}},{"kind":"Field","name":{"kind":"Name","value":"responseTypes"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"requireMfa"}},{"kind":"Field","name":{"kind":"Name","value":"requirePar"}},{"kind":"Field","name":{"kind":"Name","value":"requireDpop"}},{"kind":"Field","name":{"kind":"Name","value":"logoutAll"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"logoUri"}},{"kind":"Field","name":{"kind":"Name","value":"idTokenSignedResponseAlg"}},{"kind":"Field","name":{"kind":"Name","value":"extraIdTokenClaims"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"claim"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userRestrictions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"equals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"audiences"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleClientsDetailFragment, unknown>;
export const ConsoleKeysFamilyFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleKeysFamily"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KeyFamilyStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"activeKid"}},{"kind":"Field","name":{"kind":"Name","value":"nextRotationAt"}},{"kind":"Field","name":{"kind":"Name","value":"keys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activatesAt"}},{"kind":"Field","name":{"kind":"Name","value":"retiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"deletesAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleKeysFamilyFragment, unknown>;
export const ConsoleResourceFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleResource"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resource"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenLifetime"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleResourceFragment, unknown>;
export const ConsoleUsersRowFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersRowFragment, unknown>;
export const AuditEventRowFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEventRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"event"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"client"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]} as unknown as DocumentNode<AuditEventRowFragment, unknown>;
export const ConsoleUsersSessionFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersSession"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"authTime"}},{"kind":"Field","name":{"kind":"Name","value":"amr"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersSessionFragment, unknown>;
export const ConsoleUsersGrantFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersGrant"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Grant"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshCount"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersGrantFragment, unknown>;
export const ConsoleUsersTwoStepFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersTwoStep"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"recoveryCodesLeft"}}]}}]} as unknown as DocumentNode<ConsoleUsersTwoStepFragment, unknown>;
export const ConsoleUsersDetailFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"hasPassword"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersDetailFragment, unknown>;
export const ConsoleMeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleMe"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sub"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}}]} as unknown as DocumentNode<ConsoleMeQuery, ConsoleMeQueryVariables>;
export const AccountPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AccountPage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sub"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AccountUser"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sessions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AccountSession"}}]}},{"kind":"Field","name":{"kind":"Name","value":"connectedApps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AccountApp"}}]}},{"kind":"Field","name":{"kind":"Name","value":"factors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AccountFactor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountUser"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PublicUser"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountSession"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MySession"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"authTime"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"current"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountApp"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ConnectedApp"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"clientName"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"firstGrantedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"activeGrants"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountFactor"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Factor"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}}]}}]} as unknown as DocumentNode<AccountPageQuery, AccountPageQueryVariables>;
export const AccountRevokeAppDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountRevokeApp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"clientId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeMyGrant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"clientId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"clientId"}}}]}]}}]} as unknown as DocumentNode<AccountRevokeAppMutation, AccountRevokeAppMutationVariables>;
export const AccountChangeEmailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountChangeEmail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeMyEmail"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}},{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}}]}]}}]} as unknown as DocumentNode<AccountChangeEmailMutation, AccountChangeEmailMutationVariables>;
export const AccountStartPasskeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountStartPasskey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startPasskeyRegistration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"options"}}]}}]}}]} as unknown as DocumentNode<AccountStartPasskeyMutation, AccountStartPasskeyMutationVariables>;
export const AccountFinishPasskeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountFinishPasskey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"response"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"finishPasskeyRegistration"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"response"},"value":{"kind":"Variable","name":{"kind":"Name","value":"response"}}},{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"recoveryCodes"}}]}}]}}]} as unknown as DocumentNode<AccountFinishPasskeyMutation, AccountFinishPasskeyMutationVariables>;
export const AccountChangePasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountChangePassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"newPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"endOtherSessions"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeMyPassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}},{"kind":"Argument","name":{"kind":"Name","value":"newPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"newPassword"}}},{"kind":"Argument","name":{"kind":"Name","value":"endOtherSessions"},"value":{"kind":"Variable","name":{"kind":"Name","value":"endOtherSessions"}}}]}]}}]} as unknown as DocumentNode<AccountChangePasswordMutation, AccountChangePasswordMutationVariables>;
export const AccountUpdateMeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountUpdateMe"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateMeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateMe"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AccountUser"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AccountUser"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PublicUser"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}}]}}]} as unknown as DocumentNode<AccountUpdateMeMutation, AccountUpdateMeMutationVariables>;
export const AccountEndSessionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountEndSession"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"endMySession"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<AccountEndSessionMutation, AccountEndSessionMutationVariables>;
export const AccountStartTotpDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountStartTotp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startTotpEnrolment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"otpauthUri"}},{"kind":"Field","name":{"kind":"Name","value":"qrSvg"}}]}}]}}]} as unknown as DocumentNode<AccountStartTotpMutation, AccountStartTotpMutationVariables>;
export const AccountConfirmTotpDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountConfirmTotp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"code"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"confirmTotpEnrolment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"code"},"value":{"kind":"Variable","name":{"kind":"Name","value":"code"}}},{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}]}]}}]} as unknown as DocumentNode<AccountConfirmTotpMutation, AccountConfirmTotpMutationVariables>;
export const AccountRegenerateRecoveryCodesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountRegenerateRecoveryCodes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"regenerateRecoveryCodes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}}]}]}}]} as unknown as DocumentNode<AccountRegenerateRecoveryCodesMutation, AccountRegenerateRecoveryCodesMutationVariables>;
export const AccountRemoveFactorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AccountRemoveFactor"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeMyFactor"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}}]}]}}]} as unknown as DocumentNode<AccountRemoveFactorMutation, AccountRemoveFactorMutationVariables>;
export const ConsoleAuditEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleAuditEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEventFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditEventRow"}},{"kind":"Field","name":{"kind":"Name","value":"details"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEventRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"event"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"client"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]} as unknown as DocumentNode<ConsoleAuditEventsQuery, ConsoleAuditEventsQueryVariables>;
export const ConsoleAuditLiveDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ConsoleAuditLive"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditEventRow"}},{"kind":"Field","name":{"kind":"Name","value":"details"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEventRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"event"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"client"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]} as unknown as DocumentNode<ConsoleAuditLiveSubscription, ConsoleAuditLiveSubscriptionVariables>;
export const ConsoleClientsListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleClientsList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clients"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleClientsRow"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}}]}}]} as unknown as DocumentNode<ConsoleClientsListQuery, ConsoleClientsListQueryVariables>;
export const ConsoleClientsClientDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleClientsClient"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"client"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleClientsDetail"}}]}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"tokenEndpointAuthMethod"}},{"kind":"Field","name":{"kind":"Name","value":"jwks"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUri"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"postLogoutRedirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"allowedOrigins"}},{"kind":"Field","name":{"kind":"Name","value":"grantTypes"}},{"kind":"Field","name":{"kind":"Name","value":"responseTypes"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"requireMfa"}},{"kind":"Field","name":{"kind":"Name","value":"requirePar"}},{"kind":"Field","name":{"kind":"Name","value":"requireDpop"}},{"kind":"Field","name":{"kind":"Name","value":"logoutAll"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"logoUri"}},{"kind":"Field","name":{"kind":"Name","value":"idTokenSignedResponseAlg"}},{"kind":"Field","name":{"kind":"Name","value":"extraIdTokenClaims"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"claim"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userRestrictions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"equals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"audiences"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleClientsClientQuery, ConsoleClientsClientQueryVariables>;
export const ConsoleClientsDefaultsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleClientsDefaults"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}}]}}]}}]} as unknown as DocumentNode<ConsoleClientsDefaultsQuery, ConsoleClientsDefaultsQueryVariables>;
export const ConsoleClientsCreateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleClientsCreate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateClientInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"client"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleClientsDetail"}}]}},{"kind":"Field","name":{"kind":"Name","value":"clientSecret"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"tokenEndpointAuthMethod"}},{"kind":"Field","name":{"kind":"Name","value":"jwks"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUri"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"postLogoutRedirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"allowedOrigins"}},{"kind":"Field","name":{"kind":"Name","value":"grantTypes"}},{"kind":"Field","name":{"kind":"Name","value":"responseTypes"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"requireMfa"}},{"kind":"Field","name":{"kind":"Name","value":"requirePar"}},{"kind":"Field","name":{"kind":"Name","value":"requireDpop"}},{"kind":"Field","name":{"kind":"Name","value":"logoutAll"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"logoUri"}},{"kind":"Field","name":{"kind":"Name","value":"idTokenSignedResponseAlg"}},{"kind":"Field","name":{"kind":"Name","value":"extraIdTokenClaims"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"claim"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userRestrictions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"equals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"audiences"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleClientsCreateMutation, ConsoleClientsCreateMutationVariables>;
export const ConsoleClientsUpdateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleClientsUpdate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ClientMetadataInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleClientsDetail"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleClientsDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Client"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"public"}},{"kind":"Field","name":{"kind":"Name","value":"tokenEndpointAuthMethod"}},{"kind":"Field","name":{"kind":"Name","value":"jwks"}},{"kind":"Field","name":{"kind":"Name","value":"jwksUri"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"postLogoutRedirectUris"}},{"kind":"Field","name":{"kind":"Name","value":"allowedOrigins"}},{"kind":"Field","name":{"kind":"Name","value":"grantTypes"}},{"kind":"Field","name":{"kind":"Name","value":"responseTypes"}},{"kind":"Field","name":{"kind":"Name","value":"firstParty"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"requireMfa"}},{"kind":"Field","name":{"kind":"Name","value":"requirePar"}},{"kind":"Field","name":{"kind":"Name","value":"requireDpop"}},{"kind":"Field","name":{"kind":"Name","value":"logoutAll"}},{"kind":"Field","name":{"kind":"Name","value":"backchannelLogoutUri"}},{"kind":"Field","name":{"kind":"Name","value":"clientUri"}},{"kind":"Field","name":{"kind":"Name","value":"logoUri"}},{"kind":"Field","name":{"kind":"Name","value":"idTokenSignedResponseAlg"}},{"kind":"Field","name":{"kind":"Name","value":"extraIdTokenClaims"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"claim"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"scope"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userRestrictions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"equals"}}]}},{"kind":"Field","name":{"kind":"Name","value":"audiences"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleClientsUpdateMutation, ConsoleClientsUpdateMutationVariables>;
export const ConsoleClientsRotateSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleClientsRotateSecret"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateClientSecret"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"client"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"clientSecret"}}]}}]}}]} as unknown as DocumentNode<ConsoleClientsRotateSecretMutation, ConsoleClientsRotateSecretMutationVariables>;
export const ConsoleClientsDeleteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleClientsDelete"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteClient"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<ConsoleClientsDeleteMutation, ConsoleClientsDeleteMutationVariables>;
export const ConsoleKeysStatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleKeysStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleKeysFamily"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleKeysFamily"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KeyFamilyStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"activeKid"}},{"kind":"Field","name":{"kind":"Name","value":"nextRotationAt"}},{"kind":"Field","name":{"kind":"Name","value":"keys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activatesAt"}},{"kind":"Field","name":{"kind":"Name","value":"retiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"deletesAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleKeysStatusQuery, ConsoleKeysStatusQueryVariables>;
export const ConsoleKeysRotateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleKeysRotate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"now"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateKeys"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"now"},"value":{"kind":"Variable","name":{"kind":"Name","value":"now"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleKeysFamily"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleKeysFamily"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"KeyFamilyStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"activeKid"}},{"kind":"Field","name":{"kind":"Name","value":"nextRotationAt"}},{"kind":"Field","name":{"kind":"Name","value":"keys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"activatesAt"}},{"kind":"Field","name":{"kind":"Name","value":"retiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"deletesAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleKeysRotateMutation, ConsoleKeysRotateMutationVariables>;
export const ConsoleOverviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleOverview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"overview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"}},{"kind":"Field","name":{"kind":"Name","value":"administrators"}},{"kind":"Field","name":{"kind":"Name","value":"clients"}},{"kind":"Field","name":{"kind":"Name","value":"activeSessions"}},{"kind":"Field","name":{"kind":"Name","value":"activeGrants"}}]}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"activeKid"}},{"kind":"Field","name":{"kind":"Name","value":"nextRotationAt"}},{"kind":"Field","name":{"kind":"Name","value":"keys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"auditEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"8"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditEventRow"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEventRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"event"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"client"}},{"kind":"Field","name":{"kind":"Name","value":"ip"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]} as unknown as DocumentNode<ConsoleOverviewQuery, ConsoleOverviewQueryVariables>;
export const ConsoleResourcesListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleResourcesList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resources"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleResource"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleResource"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resource"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenLifetime"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleResourcesListQuery, ConsoleResourcesListQueryVariables>;
export const ConsoleResourcesResourceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleResourcesResource"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resource"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleResource"}}]}},{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleResource"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resource"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenLifetime"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleResourcesResourceQuery, ConsoleResourcesResourceQueryVariables>;
export const ConsoleResourcesAlgsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleResourcesAlgs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keyRotationStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"family"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}}]}}]}}]} as unknown as DocumentNode<ConsoleResourcesAlgsQuery, ConsoleResourcesAlgsQueryVariables>;
export const ConsoleResourcesCreateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleResourcesCreate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateResourceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createResource"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleResource"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleResource"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resource"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenLifetime"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleResourcesCreateMutation, ConsoleResourcesCreateMutationVariables>;
export const ConsoleResourcesUpdateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleResourcesUpdate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ResourceMetadataInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateResource"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleResource"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleResource"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resource"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"accessTokenLifetime"}},{"kind":"Field","name":{"kind":"Name","value":"alg"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleResourcesUpdateMutation, ConsoleResourcesUpdateMutationVariables>;
export const ConsoleResourcesDeleteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleResourcesDelete"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteResource"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<ConsoleResourcesDeleteMutation, ConsoleResourcesDeleteMutationVariables>;
export const ConsoleUsersListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleUsersList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersRow"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersListQuery, ConsoleUsersListQueryVariables>;
export const ConsoleUsersCreateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersCreate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateUserInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"hasPassword"}}]}}]}}]} as unknown as DocumentNode<ConsoleUsersCreateMutation, ConsoleUsersCreateMutationVariables>;
export const ConsoleUsersInviteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersInvite"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"admin"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"inviteUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"Argument","name":{"kind":"Name","value":"admin"},"value":{"kind":"Variable","name":{"kind":"Name","value":"admin"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]} as unknown as DocumentNode<ConsoleUsersInviteMutation, ConsoleUsersInviteMutationVariables>;
export const ConsoleUsersRevokeSessionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersRevokeSession"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeSession"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<ConsoleUsersRevokeSessionMutation, ConsoleUsersRevokeSessionMutationVariables>;
export const ConsoleUsersRevokeGrantDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersRevokeGrant"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeGrant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersGrant"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersGrant"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Grant"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshCount"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersRevokeGrantMutation, ConsoleUsersRevokeGrantMutationVariables>;
export const ConsoleUsersResetFactorsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersResetFactors"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resetUserFactors"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}}]}]}}]} as unknown as DocumentNode<ConsoleUsersResetFactorsMutation, ConsoleUsersResetFactorsMutationVariables>;
export const ConsoleUsersRemoveFactorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersRemoveFactor"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"factorId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeUserFactor"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"factorId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"factorId"}}}]}]}}]} as unknown as DocumentNode<ConsoleUsersRemoveFactorMutation, ConsoleUsersRemoveFactorMutationVariables>;
export const ConsoleUsersUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConsoleUsersUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sub"}}]}},{"kind":"Field","name":{"kind":"Name","value":"user"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersDetail"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersTwoStep"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sessions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersSession"}}]}},{"kind":"Field","name":{"kind":"Name","value":"grants"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersGrant"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"hasPassword"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersTwoStep"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"factors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"recoveryCodesLeft"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersSession"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"authTime"}},{"kind":"Field","name":{"kind":"Name","value":"amr"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersGrant"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Grant"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"scopes"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"refreshCount"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersUserQuery, ConsoleUsersUserQueryVariables>;
export const ConsoleUsersUpdateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersUpdate"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateUserInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersDetail"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"hasPassword"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersUpdateMutation, ConsoleUsersUpdateMutationVariables>;
export const ConsoleUsersSetPasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersSetPassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setUserPassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ConsoleUsersDetail"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ConsoleUsersDetail"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}},{"kind":"Field","name":{"kind":"Name","value":"givenName"}},{"kind":"Field","name":{"kind":"Name","value":"familyName"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"picture"}},{"kind":"Field","name":{"kind":"Name","value":"admin"}},{"kind":"Field","name":{"kind":"Name","value":"active"}},{"kind":"Field","name":{"kind":"Name","value":"hasPassword"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConsoleUsersSetPasswordMutation, ConsoleUsersSetPasswordMutationVariables>;
export const ConsoleUsersDeleteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConsoleUsersDelete"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<ConsoleUsersDeleteMutation, ConsoleUsersDeleteMutationVariables>;