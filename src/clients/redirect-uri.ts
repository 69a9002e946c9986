/**
 * What a registered redirect URI may be (RFC 6749 §3.1.2; RFC 8252 §7 for native apps;
 * docs/SECURITY.md AZ-08): absolute, no fragment, no credentials, no wildcard; https, or http on a
 * loopback host, or a private-use scheme containing a dot (`com.example.app:/cb`). Never
 * `javascript:`, `data:`, `file:` and the like. URIs are stored and compared byte for byte.
 */
/**
 * The longest registered URI (redirect, post-logout redirect, origin), in characters. Requests
 * compare their `redirect_uri` and `post_logout_redirect_uri` with these byte for byte, so the
 * provider refuses longer ones before it stores or echoes them (`PARAMETER_LIMITS`,
 * docs/SECURITY.md RC-05).
 */
export const MAX_URI_LENGTH = 2048;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:']);

export function redirectUriProblem(uri: string): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'must be a non-empty string';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return 'must not contain whitespace or control characters';
  // It is sent back byte for byte in a Location header: ASCII only (RFC 3986 §2), others percent-encoded.
  if (/[^\x21-\x7e]/.test(uri)) return 'must be ASCII: percent-encode other characters (RFC 3986 §2.1), use punycode for host names';
  if (uri.includes('#')) return 'must not contain a fragment (RFC 6749 §3.1.2)';
  if (uri.includes('*')) return 'must not contain wildcards: redirect URIs are matched exactly';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `the ${url.protocol} scheme is not allowed`;
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return url.hostname ? undefined : 'must name a host';
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'http is allowed only on loopback hosts (localhost, 127.0.0.1, [::1]); use https';
  }
  // A private-use scheme of a native app: a reversed domain name (RFC 8252 §7.1).
  return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol) ? undefined : `the ${url.protocol} scheme is not allowed (use https, http on loopback, or a reverse-domain private scheme)`;
}

/** An origin (`https://app.example`) for CORS: https, or http on loopback; nothing else. */
export function originProblem(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.origin !== origin) return 'must be an origin: scheme, host and port only, without a trailing slash';
    if (url.protocol === 'https:') return undefined;
    if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
    return 'must be https (http only on loopback hosts)';
  } catch {
    return 'must be an origin such as https://app.example';
  }
}

/** OpenID Connect Dynamic Client Registration 1.0 §2 `application_type`. */
export const APPLICATION_TYPES = ['web', 'native'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/**
 * What `application_type` adds to `redirectUriProblem` (OIDC Registration §2). A web client's
 * redirect URIs are web addresses, never a private-use scheme; with the implicit grant (tokens in
 * the redirect's fragment) they are https and never on localhost, as §2 demands of such clients.
 * A web client of the code flow may use http on loopback: a client on the user's own machine (an
 * MCP client, a command-line tool) registers so, and PKCE protects its code. A native client's
 * are private-use schemes or http on loopback (RFC 8252 §7.1, §7.3), or https (claimed URIs, §7.2).
 */
export function applicationTypeProblem(type: ApplicationType, uri: string, implicit = false): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined; // redirectUriProblem says so
  }
  if (type !== 'web') return undefined;
  if (implicit) {
    if (url.protocol !== 'https:') return 'a web client of the implicit grant has https redirect URIs (OIDC Registration §2)';
    if (LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')) return 'a web client of the implicit grant has no redirect URIs on localhost (OIDC Registration §2)';
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'a web client\'s redirect URIs are https, or http on loopback (application_type native for an app scheme)';
  return undefined;
}
