/**
 * OpenID Connect Discovery 1.0 §4: a provider's metadata lives at
 * `<issuer>/.well-known/openid-configuration`, and the issuer it names must equal the configured
 * one byte for byte (§4.3).
 */
export const WELL_KNOWN = '/.well-known/openid-configuration';

/** `https://id.example.com/.well-known/openid-configuration` → `https://id.example.com`; undefined for any other URL. */
export function issuerFromDiscovery(url: string): string | undefined {
  if (!url.endsWith(WELL_KNOWN)) return undefined;
  const issuer = url.slice(0, -WELL_KNOWN.length);
  return issuer.length > 0 && !new URL(url).search ? issuer : undefined;
}
