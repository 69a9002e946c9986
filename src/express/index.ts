/**
 * jwt-oidc/express: login at any OpenID Provider for Express apps (`oidcClient`), and bearer
 * tokens for REST routes (`bearerAuth`).
 */
export { oidcClient, safeReturnTo, type OidcClientOptions, type OidcClientRouter } from './oidc-client.js';
export { bearerAuth, type BearerAuth, type BearerAuthOptions } from './bearer.js';
export { PostgresSessionStore, type SessionStore, type PostgresSessionStoreOptions } from '../client/session-store.js';
export { OrmUserStore, type LocalUser, type UserStore } from '../client/user-store.js';
export { BearerError, IssuerUnavailableError } from '../resource/errors.js';
export { RemoteIssuer, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken } from '../resource/remote.js';
