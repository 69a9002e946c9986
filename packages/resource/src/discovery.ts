/**
 * OpenID Connect Discovery 1.0 §4: a provider's metadata lives at
 * `<issuer>/.well-known/openid-configuration`, and the issuer it names must equal the configured
 * one byte for byte (§4.3).
 *
 * A "discovery endpoint" setting (`discoveryEndpoint` of @jwt-oidc/express, the service's
 * JWT_OIDC_DISCOVERY_ENDPOINT) names a provider in either of two forms with one meaning: its
 * issuer, or that issuer's discovery URL. `issuerFromDiscovery` is the one place that reads it.
 */
export const WELL_KNOWN = '/.well-known/openid-configuration';

/**
 * The issuer a discovery endpoint setting names:
 * `https://id.example.com/.well-known/openid-configuration` → `https://id.example.com`, and an
 * issuer URL (`https://id.example.com`, `https://id.example.com/tenant`) → itself, as given.
 * Undefined when it is neither: not an http(s) URL, or with a query, a fragment or credentials
 * (an issuer has none: OIDC Discovery §3, RFC 8414 §2), or a `.well-known` URL of another shape
 * (RFC 8414's `/.well-known/openid-configuration/tenant` is not OIDC Discovery's).
 */
export function issuerFromDiscovery(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (/[?#\s]/.test(url) || parsed.username || parsed.password) return undefined;
  if (url.endsWith(WELL_KNOWN)) {
    const issuer = url.slice(0, -WELL_KNOWN.length);
    return issuerFromDiscovery(issuer) === issuer && !issuer.endsWith('/') ? issuer : undefined;
  }
  return parsed.pathname.includes('/.well-known/') ? undefined : url;
}
