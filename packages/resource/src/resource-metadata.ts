/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client which
 * authorization servers issue tokens for this API, and which scopes and token presentations it
 * takes. It lives at the resource's `/.well-known/oauth-protected-resource` URL (§3.1: the
 * well-known segment goes between the host and the resource's path), and every challenge of the
 * API can point at it with `resource_metadata="…"` (§5.1), so that a client that meets a 401
 * finds its way to a token.
 */

/** The well-known path segment of RFC 9728 §3. */
export const RESOURCE_METADATA_WELL_KNOWN = '/.well-known/oauth-protected-resource';

export interface ProtectedResourceMetadataOptions {
  /**
   * The resource identifier (RFC 9728 §2 `resource`): the API's URL, https (http only on a
   * loopback host, for development), without query or fragment. Clients compare it with the URL
   * they derived the metadata location from (§3.3), so it must be exactly what they use.
   */
  resource: string;
  /** Issuer identifiers of the authorization servers whose tokens the API accepts (§2 `authorization_servers`). */
  authorizationServers?: readonly string[];
  /** Scopes the API understands (§2 `scopes_supported`). */
  scopesSupported?: readonly string[];
  /** How tokens may be sent (§2 `bearer_methods_supported`; default `['header']`: RFC 6750 §2.1 only). */
  bearerMethodsSupported?: readonly ('header' | 'body' | 'query')[];
  /** JWS algorithms the API accepts in tokens (§2 `resource_signing_alg_values_supported`). */
  resourceSigningAlgValuesSupported?: readonly string[];
  /** JWS algorithms the API accepts in DPoP proofs (§2 `dpop_signing_alg_values_supported`; RFC 9449 §7.1's `algs`). */
  dpopSigningAlgValuesSupported?: readonly string[];
  /** The API takes DPoP-bound access tokens only (§2 `dpop_bound_access_tokens_required`; default: not said, i.e. false). */
  dpopBoundAccessTokensRequired?: boolean;
  /** A human-readable name (§2 `resource_name`). */
  resourceName?: string;
  /** Documentation for developers (§2 `resource_documentation`). */
  resourceDocumentation?: string;
  resourcePolicyUri?: string;
  resourceTosUri?: string;
  /** Allow an http `resource` on any host (default false: https, or http on loopback). */
  allowHttp?: boolean;
}

export interface ProtectedResourceMetadata {
  /** The document's URL: what `resource_metadata` in a challenge names. */
  url: string;
  /** Its path on the API's host (`/.well-known/oauth-protected-resource` + the resource's path). */
  path: string;
  /** The metadata (§2), with only the members that have a value. */
  document: Record<string, unknown>;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** The metadata document of a resource, where it is served, and the URL a challenge names. */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): ProtectedResourceMetadata {
  const resource = resourceUrl(options.resource, options.allowHttp ?? false);
  for (const issuer of options.authorizationServers ?? []) {
    if (!/^https?:\/\//.test(issuer)) throw new TypeError(`authorizationServers: ${issuer} is not an issuer URL`);
  }
  // §3.1: "/.well-known/oauth-protected-resource" inserted between the host and the path; a
  // resource at the root has no trailing path (and no trailing slash).
  const tail = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const path = `${RESOURCE_METADATA_WELL_KNOWN}${tail}`;
  const document = definedOnly({
    resource: options.resource,
    authorization_servers: options.authorizationServers,
    scopes_supported: options.scopesSupported,
    bearer_methods_supported: options.bearerMethodsSupported ?? ['header'],
    resource_signing_alg_values_supported: options.resourceSigningAlgValuesSupported,
    dpop_signing_alg_values_supported: options.dpopSigningAlgValuesSupported,
    dpop_bound_access_tokens_required: options.dpopBoundAccessTokensRequired,
    resource_name: options.resourceName,
    resource_documentation: options.resourceDocumentation,
    resource_policy_uri: options.resourcePolicyUri,
    resource_tos_uri: options.resourceTosUri,
  });
  return { url: `${resource.origin}${path}`, path, document };
}

function resourceUrl(value: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`resource must be a URL: ${String(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (allowHttp || LOOPBACK.test(url.hostname)))) throw new TypeError(`resource must be https (http only on loopback): ${value}`);
  if (url.search || url.hash || value.includes('#') || url.username || url.password) throw new TypeError(`resource must have no query, fragment or credentials (RFC 9728 §1.2): ${value}`);
  return url;
}

function definedOnly(members: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined));
}
