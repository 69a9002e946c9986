/**
 * The Content-Security-Policy of a relying-party page, derived from the rendered page itself, so
 * that any renderer (the default one or an app's `renderPage`) gets the narrowest policy that
 * still shows it: no script at all; each inline <style> element allowed by its SHA-256 hash
 * (a CSP Level 3 hash-source), never 'unsafe-inline'; images only when the page shows one;
 * and `form-action` limited to where the page's form may end.
 */
import { createHash } from 'node:crypto';

/** The exact text between <style> and </style>: what the browser hashes for a hash-source. */
const STYLE_ELEMENT = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;

/**
 * The policy for `html`. `formAction` lists CSP sources (`'self'`, origins): Chromium
 * checks form-action on every redirect that follows a form submission (CSP Level 3, the
 * form-action directive), so a form whose answer redirects elsewhere must name that origin too.
 */
export function pagePolicy(html: string, formAction: readonly string[]): string {
  const hashes = [...new Set([...html.matchAll(STYLE_ELEMENT)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`))];
  const directives = ["default-src 'none'"];
  if (hashes.length) directives.push(`style-src ${hashes.join(' ')}`);
  // A logo of the app's own, or from an https origin; a data: URI for an inlined one.
  if (/<img\b/i.test(html)) directives.push("img-src 'self' https: data:");
  directives.push(`form-action ${formAction.length ? [...new Set(formAction)].join(' ') : "'none'"}`, "frame-ancestors 'none'", "base-uri 'none'");
  return directives.join('; ');
}

/**
 * The CSP source expression for a URL a form may end at: its origin for http(s), nothing for
 * anything else (a sign-out never ends at another scheme). A CSP host-source cannot hold an IPv6
 * literal, so a URL on one is allowed by its scheme.
 */
export function originSource(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return /^https?:\/\/[a-z0-9.-]+(:\d+)?$/.test(parsed.origin) ? parsed.origin : parsed.protocol;
}
