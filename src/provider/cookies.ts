/**
 * Cookies, without a dependency: parsing the `Cookie` header, and the attributes of the cookies
 * the provider sets (RFC 6265bis). Session cookies are HttpOnly, SameSite=Lax, and Secure with
 * the `__Host-` prefix when the issuer is https (docs/SECURITY.md SE-02).
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // First one wins: a later duplicate may be a cookie planted for a broader path or domain.
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(value));
      } catch {
        cookies.set(name, value);
      }
    }
  }
  return cookies;
}

export interface CookieSpec {
  name: string;
  value: string;
  /** Seconds; 0 deletes the cookie; undefined: a cookie for the browser session only. */
  maxAge: number | undefined;
  path: string;
  secure: boolean;
  sameSite: 'Lax' | 'Strict';
}

export function serializeCookie(c: CookieSpec): string {
  const parts = [`${c.name}=${encodeURIComponent(c.value)}`, `Path=${c.path}`];
  if (c.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(c.maxAge))}`);
  parts.push('HttpOnly', `SameSite=${c.sameSite}`);
  if (c.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * A cookie name for the issuer's scheme: `__Host-` (Secure, Path=/, no Domain) on https;
 * browsers refuse prefixed cookies over http, so plain names there (development).
 */
export function cookieName(base: string, secure: boolean, pathScoped = false): string {
  if (!secure) return base;
  return pathScoped ? `__Secure-${base}` : `__Host-${base}`;
}
