/**
 * @jwt-oidc/apollo: an Apollo Server 5 plugin that trusts the bearer tokens of an OpenID
 * Provider, with `@authenticated` / `@requiresScopes` directives and `getAuth` for resolvers.
 */
export { jwtOidcPlugin, getAuth, type Auth, type JwtOidcPluginOptions } from './plugin.js';
export { authDirectives, authDirectivesTypeDefs, authenticatedDirective, requiresScopesDirective } from './directives.js';
export { rethrowAsGraphQLError, toGraphQLError } from './errors.js';
export { BearerError, IssuerSet, IssuerUnavailableError, RemoteIssuer, type IssuerSetOptions, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type TrustedIssuer, type TrustOptions, type Userinfo } from '@jwt-oidc/resource';
