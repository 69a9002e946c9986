/**
 * `jwtOidcPlugin` for Apollo Server 5: any GraphQL server trusts the bearer tokens of an
 * OpenID Provider (ours or any other). The token is verified when a request starts (see
 * RemoteIssuer of @jwt-oidc/resource); operations are refused in `didResolveOperation`: a bad token is HTTP 401
 * with an RFC 6750 challenge, a missing one for a field marked `@authenticated` (or any field,
 * with `requireAuth`) is UNAUTHENTICATED, missing scopes of `@requiresScopes` are FORBIDDEN
 * (403 `insufficient_scope`, naming what would do), an `acr` below what `@requiresAcr` (or the
 * `acr` option, for every operation) demands is INSUFFICIENT_USER_AUTHENTICATION (401 with
 * RFC 9470 §3's challenge). Resolvers read the caller with `getAuth`. With the option `dpop`,
 * DPoP-bound tokens (RFC 9449) are taken with their proof: `Authorization: DPoP <token>` and a
 * `DPoP` header for this request's method and URL (`publicUrl`).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { boundKeyThumbprint, BearerError, parsePublicUrl, IssuerSet, IssuerUnavailableError, reporter, stepUpRequirement, trustedIssuers, type RemoteCaller, type RemoteIssuer, type ReportOptions, type StepUpRequirement, type TrustOptions } from '@jwt-oidc/resource';
import { requirementsOf, unmet, type Demands } from './directives.js';
import type { ConnectionAuthenticator } from './subscriptions.js';
import { rethrowAsGraphQLError, toGraphQLError, type DpopRefusal } from './errors.js';

/**
 * The issuer to trust (`issuer`, `audience`, … of RemoteIssuerOptions) or several
 * (`issuers: [{ issuer, audience, algorithms? }, …]` and the options they share, IssuerSetOptions:
 * a token is checked against the configuration of its own `iss` only), and:
 */
export type JwtOidcPluginOptions = TrustOptions & ReportOptions & {
  /** Every operation needs a valid token (default false: only fields marked `@authenticated` / `@requiresScopes`). */
  requireAuth?: boolean;
  /**
   * Every operation needs a token of a user who authenticated with one of these `acr` values
   * (step-up authentication, RFC 9470): `['urn:jwt-oidc:mfa']`, or `{ acrValues, maxAge }` to
   * also bound the seconds since `auth_time`. A token that falls short is refused with 401
   * INSUFFICIENT_USER_AUTHENTICATION and RFC 9470 §3's challenge; no token, UNAUTHENTICATED.
   * Default: none (only fields marked `@requiresAcr`).
   */
  acr?: readonly string[] | StepUpRequirement;
  /** `realm` of the `WWW-Authenticate` challenges (default: the issuer; with several issuers, none). */
  realm?: string;
  /**
   * The URL of this API's protected-resource metadata (RFC 9728; `protectedResourceMetadata(…).url`
   * of @jwt-oidc/resource), named as `resource_metadata` in every challenge (§5.1). Default: none.
   */
  resourceMetadataUrl?: string;
  /**
   * The URL clients call this GraphQL endpoint at, e.g. `https://api.example.com/graphql`: a
   * DPoP proof's `htu` must be it (RFC 9449 §4.3). Apollo Server tells a plugin neither the
   * scheme nor the path of a request, so without it the URL is taken as `http://` + the
   * request's `Host` + `/`, what `startStandaloneServer` answers at; set it behind TLS, a proxy,
   * or at another path (`expressMiddleware` at `/graphql`).
   */
  publicUrl?: string;
};

/** The caller of a request, for resolvers. */
export type Auth = RemoteCaller;

/** The caller of each request's (or subscription operation's) context value; a subscription's changes when its token is renewed. */
const AUTH = new WeakMap<object, () => Auth | null>();

/** The caller of the request (or subscription operation) `contextValue` belongs to; null when anonymous. */
export function getAuth(contextValue: object): Auth | null {
  const read = AUTH.get(contextValue);
  if (!read) throw new TypeError('getAuth: jwtOidcPlugin is not installed on this Apollo Server, nor withSubscriptionAuth on its WebSocket server (or the context is not the request\'s)');
  return read();
}

/**
 * The caller, with `userinfo()` failing as the plugin's own checks fail: a provider that cannot
 * be reached is SERVICE_UNAVAILABLE with HTTP 503 and `Retry-After` (Apollo Server takes the
 * status of a resolver's error from `extensions.http`), not an INTERNAL_SERVER_ERROR. A token
 * that names no end-user is no failure: `userinfo()` resolves null.
 */
function withGraphQLErrors(caller: RemoteCaller, realm: string | undefined, resourceMetadata: string | undefined, dpop?: DpopRefusal): Auth {
  // Member by member, in the caller's order: a spread costs more than the rest of a cached request's check.
  const auth: Auth = { issuer: caller.issuer, sub: caller.sub, clientId: caller.clientId, scopes: caller.scopes, claims: caller.claims } as Auth;
  if ('acr' in caller) auth.acr = caller.acr;
  if ('amr' in caller) auth.amr = caller.amr;
  if ('authTime' in caller) auth.authTime = caller.authTime;
  auth.idToken = caller.idToken;
  auth.userinfo = () => caller.userinfo().catch((e: unknown) => rethrowAsGraphQLError(e, realm, resourceMetadata, dpop));
  return auth;
}

export interface JwtOidcPlugin<TContext extends BaseContext = BaseContext> extends ApolloServerPlugin<TContext> {
  /** The issuer (or issuers) whose tokens are trusted. */
  issuer: RemoteIssuer | IssuerSet;
  /** The same trust for WebSocket connections: `withSubscriptionAuth(serverOptions, plugin)`. */
  connections: ConnectionAuthenticator<Auth>;
}

export function jwtOidcPlugin<TContext extends BaseContext>(options: JwtOidcPluginOptions): JwtOidcPlugin<TContext> {
  const issuer = trustedIssuers(options);
  const realm = options.realm ?? ('issuer' in options ? options.issuer : undefined);
  const report = reporter(options);
  const demands: Demands = { requireAuth: options.requireAuth ?? false, ...(options.acr ? { acr: stepUpRequirement(options.acr) } : {}), now: options.now ?? Date.now };
  const publicUrl = options.publicUrl === undefined ? undefined : endpointUrl(options.publicUrl);
  // Every refusal is reported once, as it is answered.
  const challenge = (e: BearerError | IssuerUnavailableError, scheme?: 'Bearer' | 'DPoP') => {
    report.rejected(e);
    return toGraphQLError(e, realm, options.resourceMetadataUrl, { support: issuer.dpop, ...(scheme ? { scheme } : {}) });
  };

  const connections: ConnectionAuthenticator<Auth> = {
    requireAuth: options.requireAuth ?? false,
    ...(demands.acr ? { acr: demands.acr } : {}),
    revocable: issuer instanceof IssuerSet ? issuer.issuers.some((i) => issuer.issuer(i)!.introspects()) : issuer.introspects(),
    async authenticate(token) {
      // A DPoP proof is made for one HTTP request (its method and URL, RFC 9449 §4.2); the
      // messages of a WebSocket have neither, so a bound token cannot be proven here.
      const verified = await issuer.verifyToken(token);
      if (boundKeyThumbprint(verified.claims) !== undefined) throw new BearerError('invalid_token', 'a DPoP-bound access token cannot be used over a WebSocket; use a bearer token for subscriptions');
      report.verified(verified);
      const exp = verified.claims.exp;
      return {
        auth: withGraphQLErrors(issuer.caller(verified), realm, options.resourceMetadataUrl),
        expiresAt: typeof exp === 'number' ? exp * 1000 : undefined,
        principal: `${verified.issuer} ${verified.sub}`,
        ...(issuer.introspects(verified) ? { isActive: () => issuer.isActive(verified) } : {}),
      };
    },
    rejected: (e) => report.rejected(e),
    bind: (contextValue, read) => AUTH.set(contextValue, read),
  };

  return {
    issuer,
    connections,
    async requestDidStart({ request, contextValue }) {
      let auth: Auth | null = null;
      let failure: BearerError | IssuerUnavailableError | undefined;
      let scheme: 'Bearer' | 'DPoP' | undefined;
      try {
        const http = request.http;
        const headers = http?.headers;
        const verified = await issuer.verifyRequest({
          method: http?.method ?? 'POST',
          url: `${publicUrl ?? `http://${headers?.get('host') ?? 'invalid.'}/`}${http?.search ?? ''}`,
          authorization: headers?.get('authorization'),
          dpop: headers?.get('dpop'),
        });
        if (verified !== undefined) {
          scheme = verified.scheme;
          report.verified(verified);
          auth = withGraphQLErrors(issuer.caller(verified), realm, options.resourceMetadataUrl, { support: issuer.dpop, scheme: verified.scheme });
        }
      } catch (e) {
        if (!(e instanceof BearerError) && !(e instanceof IssuerUnavailableError)) throw e;
        failure = e;
      }
      AUTH.set(contextValue, () => auth);
      return {
        async didResolveOperation({ document, operationName, schema }) {
          if (failure) throw challenge(failure);
          const missing = unmet(requirementsOf(schema, document, operationName), auth ?? undefined, demands);
          if (missing) throw challenge(missing, scheme);
        },
      };
    },
  };
}

/** `publicUrl` without query or fragment: the request's query follows it. */
function endpointUrl(url: string): string {
  return parsePublicUrl(url).href;
}
