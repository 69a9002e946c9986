/**
 * @jwt-oidc/apollo: an Apollo Server 5 plugin that trusts the bearer tokens of an OpenID
 * Provider, with `@authenticated` / `@requiresScopes` / `@requiresAcr` directives and `getAuth` for resolvers;
 * `withSubscriptionAuth` brings the same to subscriptions over graphql-ws.
 */
export { jwtOidcPlugin, getAuth, type Auth, type JwtOidcPlugin, type JwtOidcPluginOptions } from './plugin.js';
export {
  withSubscriptionAuth,
  connectionAuth,
  CLOSE_BAD_REQUEST,
  CLOSE_FORBIDDEN,
  CLOSE_TRY_AGAIN_LATER,
  CLOSE_UNAUTHORIZED,
  type Authenticated,
  type ConnectionAuthenticator,
  type SubscriptionAuthOptions,
  type WebSocketExtra,
} from './subscriptions.js';
export { authDirectives, authDirectivesTypeDefs, authenticatedDirective, requiresAcrDirective, requiresScopesDirective } from './directives.js';
export { rethrowAsGraphQLError, toGraphQLError } from './errors.js';
export { BearerError, dpopNonces, memoryDpopReplayCache, type DpopNonces, type DpopOptions, type DpopReplayCache, InsufficientUserAuthenticationError, IssuerSet, IssuerUnavailableError, RemoteIssuer, type IssuerSetOptions, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type StepUpRequirement, type TrustedIssuer, type TrustOptions, type Userinfo } from '@jwt-oidc/resource';
