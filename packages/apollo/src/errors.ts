/**
 * One mapping from the resource server's errors to GraphQL errors that Apollo Server answers with
 * the right HTTP status and headers: a bad or missing token is 401 with an RFC 6750 §3
 * `WWW-Authenticate` challenge, a token in the URL 400, missing scopes 403 `insufficient_scope`
 * (naming every alternative that would do), a user who must authenticate again, more strongly
 * or more recently, 401 INSUFFICIENT_USER_AUTHENTICATION with RFC 9470 §3's challenge (401 as
 * that section's example: the client needs a new token, not other permissions), an unreachable
 * issuer 503 with `Retry-After`.
 */
import { GraphQLError } from 'graphql';
import { BearerError, InsufficientUserAuthenticationError, IssuerUnavailableError, refusalHeaders, type DpopSupport } from '@jwt-oidc/resource';

/** DPoP as the API takes it, and the scheme of the refused request, for the challenge (RFC 9449 §7.1). */
export interface DpopRefusal {
  support: DpopSupport | undefined;
  scheme?: 'Bearer' | 'DPoP';
}

/**
 * `resourceMetadata`: the URL of the API's RFC 9728 metadata, named in the challenge (§5.1);
 * `dpop`: the DPoP challenge beside (or instead of) the Bearer one, and `DPoP-Nonce`.
 */
export function toGraphQLError(e: BearerError | IssuerUnavailableError, realm: string | undefined, resourceMetadata?: string, dpop?: DpopRefusal): GraphQLError {
  if (e instanceof IssuerUnavailableError) {
    return new GraphQLError(e.message, { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503, headers: new Map([['retry-after', String(e.retryAfter)]]) } } });
  }
  const headers = () => new Map(Object.entries(refusalHeaders(e, { realm, resourceMetadata, dpop: dpop?.support, scheme: dpop?.scheme ?? e.scheme })).map(([k, v]) => [k.toLowerCase(), v]));
  if (e instanceof InsufficientUserAuthenticationError) {
    return new GraphQLError(e.description, {
      extensions: {
        code: 'INSUFFICIENT_USER_AUTHENTICATION',
        ...(e.acrValues?.length ? { acrValues: e.acrValues } : {}),
        ...(e.maxAge !== undefined ? { maxAge: e.maxAge } : {}),
        http: { status: e.status, headers: headers() },
      },
    });
  }
  const insufficient = e.code === 'insufficient_scope';
  return new GraphQLError(insufficient ? 'the access token lacks a required scope' : e.description, {
    extensions: {
      code: insufficient ? 'FORBIDDEN' : e.code === 'invalid_request' ? 'BAD_REQUEST' : 'UNAUTHENTICATED',
      // One list per alternative: [["read"], ["admin", "write"]] is read, or admin and write.
      ...(e.alternatives ? { requiredScopes: e.alternatives } : {}),
      http: { status: e.status, headers: headers() },
    },
  });
}

/** Rethrows a resource-server error as its GraphQL error; anything else unchanged. */
export function rethrowAsGraphQLError(e: unknown, realm: string | undefined, resourceMetadata?: string, dpop?: DpopRefusal): never {
  if (e instanceof BearerError || e instanceof IssuerUnavailableError) throw toGraphQLError(e, realm, resourceMetadata, dpop);
  throw e;
}
