/**
 * @jwt-oidc/apollo: an Apollo Server 5 plugin that trusts the bearer tokens of an OpenID
 * Provider, with `@authenticated` / `@requiresScopes` directives and `getAuth` for resolvers.
 */
export { jwtOidcPlugin, getAuth, type Auth, type JwtOidcPluginOptions } from './plugin.js';
export { authDirectives, authDirectivesTypeDefs, authenticatedDirective, requiresScopesDirective } from './directives.js';
export { rethrowAsGraphQLError, toGraphQLError } from './errors.js';
export { BearerError, IssuerUnavailableError, RemoteIssuer, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type Userinfo } from '@jwt-oidc/resource';
