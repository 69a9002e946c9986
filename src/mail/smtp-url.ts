/**
 * JWT_OIDC_SMTP_URL, read once for the settings' validation and once for the transport, by the
 * same function, so that whatever the settings accept is exactly what the transport uses:
 *
 * - `smtp://[user:password@]host[:port]`: plain SMTP, port 587 (message submission, RFC 6409)
 *   unless given, upgraded with STARTTLS (RFC 3207) when the server offers it; with
 *   `?requireTLS=true` a server that does not offer it is refused, so that neither the password
 *   nor the message ever crosses the network in clear.
 * - `smtps://[user:password@]host[:port]`: TLS from the first byte, port 465 unless given
 *   (RFC 8314 §3).
 *
 * Any other query parameter is refused: nodemailer would take every one of them as a transport
 * option (debug transcripts, TLS checks turned off), and a setting must not open those doors.
 * User and password are percent-decoded (`p%40ss` is `p@ss`).
 */

export interface SmtpEndpoint {
  host: string;
  port: number;
  /** TLS from the start (smtps), rather than STARTTLS after the greeting. */
  secure: boolean;
  /** smtp only: refuse a server that does not offer STARTTLS. */
  requireTLS: boolean;
  auth?: { user: string; pass: string };
}

export const SMTP_URL_EXPECT =
  'an smtp://[user:password@]host[:port] URL (STARTTLS when the server offers it; ?requireTLS=true insists on it) or smtps://[user:password@]host[:port] (TLS from the start), with no path, fragment or other parameter';

export function parseSmtpUrl(text: string): SmtpEndpoint | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const secure = url.protocol === 'smtps:';
  if (!secure && url.protocol !== 'smtp:') return undefined;
  if (!url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.hash) return undefined;
  let requireTLS = false;
  for (const [name, value] of url.searchParams) {
    if (name !== 'requireTLS' || (value !== 'true' && value !== 'false')) return undefined;
    requireTLS = value === 'true';
  }
  let auth: SmtpEndpoint['auth'];
  try {
    if (url.username || url.password) auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  } catch {
    return undefined; // a malformed percent escape
  }
  // The URL class keeps the brackets of an IPv6 host; a socket wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  if (port < 1) return undefined;
  return { host, port, secure, requireTLS: !secure && requireTLS, ...(auth ? { auth } : {}) };
}

/**
 * Whether the service has an SMTP server to deliver through. Without one, outside production
 * mail is written to the log (how development works); in production it is not sent at all, so
 * the settings check refuses to start a feature that needs mail when this is false there.
 */
export function mailConfigured(settings: { smtpUrl?: string | undefined }): boolean {
  return settings.smtpUrl !== undefined;
}
