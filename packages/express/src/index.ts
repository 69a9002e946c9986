/**
 * @jwt-oidc/express: login at any OpenID Provider for Express apps (`oidcClient`), and bearer
 * tokens for REST routes (`bearerAuth`) with their RFC 9728 metadata (`protectedResourceMetadata`).
 */
export { oidcClient, safeReturnTo, type OidcClientOptions, type OidcClientRouter } from './oidc-client.js';
export { renderDefaultPage, type ErrorPageView, type PageLink, type PageRenderer, type RelyingPartyPage, type SignOutPageView } from './pages.js';
export { bearerAuth, type BearerAuth, type BearerAuthOptions } from './bearer.js';
export { protectedResourceMetadata, type ProtectedResourceMetadataRouter } from './resource-metadata.js';
export { PostgresSessionStore, type PgPool, type PostgresSessionStoreOptions, type SessionStore } from './session-store.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-session-store.js';
export { mapUser, fieldsFromClaims, WRITABLE_USER_FIELDS, type LocalUser, type UserMapping, type UserStore, type WritableField } from './user-mapping.js';
export { LoginError, ProviderUnavailableError, RelyingParty, type RelyingPartyOptions } from './relying-party.js';
export { LogoutTokenError } from './logout-token.js';
export { BearerError, dpopNonces, memoryDpopReplayCache, type DpopNonces, type DpopOptions, type DpopReplayCache, IssuerSet, IssuerUnavailableError, RemoteIssuer, type IssuerSetOptions, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type TrustedIssuer, type TrustOptions } from '@jwt-oidc/resource';
