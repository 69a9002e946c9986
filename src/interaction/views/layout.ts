/**
 * The page shell shared by the browser views: one static stylesheet, inlined and allowed by its
 * hash, so the Content-Security-Policy needs neither 'unsafe-inline' nor any external origin.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { escapeHtml } from './html.js';

export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#1f2328;--muted:#59636e;--line:#d8dee4;--field:#6e7781;--primary:#0b57d0;--on-primary:#fff;--danger:#b42318;--danger-bg:#fef3f2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;--field:#8b949e;--primary:#4493f8;--on-primary:#0d1117;--danger:#ff7b72;--danger-bg:#2d1417}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:anywhere}
.card{width:100%;max-width:380px;padding:2rem 1.5rem;background:var(--card);border:1px solid var(--line);border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{margin:0 0 .25rem;font-size:1.5rem;line-height:1.25;font-weight:600}
p{margin:0 0 1rem}
.sub{margin-bottom:1.5rem;color:var(--muted)}
.logo{display:block;width:48px;height:48px;margin:0 0 1rem;object-fit:contain;border-radius:8px}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input,textarea,select{display:block;width:100%;min-height:44px;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--card);border:1px solid var(--field);border-radius:8px}
button{display:block;width:100%;min-height:44px;margin-top:1.5rem;padding:.5rem 1rem;font:inherit;font-weight:600;color:var(--on-primary);background:var(--primary);border:1px solid var(--primary);border-radius:8px;cursor:pointer}
button:hover{filter:brightness(1.1)}
button.secondary{margin-top:.75rem;color:var(--text);background:transparent;border-color:var(--field)}
:focus-visible{outline:3px solid var(--primary);outline-offset:2px}
.error{padding:.75rem 1rem;color:var(--danger);background:var(--danger-bg);border:1px solid currentColor;border-radius:8px}
.banner{margin:0 0 1rem;padding:.5rem .75rem;font-weight:600;color:var(--danger);background:var(--danger-bg);border:1px solid currentColor;border-radius:8px}
.hint{margin:.25rem 0 0;font-size:.875rem;color:var(--muted)}
.scopes{margin:0 0 .5rem;padding:0;list-style:none;border-top:1px solid var(--line)}
.scopes li{padding:.625rem .25rem;border-bottom:1px solid var(--line)}
.brand{display:flex;align-items:center;gap:.5rem;margin:0 0 1.25rem;font-size:.875rem;font-weight:600;color:var(--muted)}
.brand img{width:24px;height:24px;object-fit:contain;border-radius:4px}
.request-id{margin:1.5rem 0 0;font-size:.75rem;color:var(--muted)}
.back{display:inline-block;margin-top:.5rem;color:var(--primary);font-weight:600}
.scopes li.scope-danger{padding-left:.75rem;color:var(--danger);background:var(--danger-bg);border-left:4px solid var(--danger);font-weight:600}
`;

/** The hash source for PAGE_CSS: the exact characters placed between <style> and </style>. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}'`;

function csp(formAction: string, scripts = false): string {
  return (
    `default-src 'none';${scripts ? " script-src 'self';" : ''} style-src ${STYLE_HASH}; img-src 'self' https: data:; ` +
    `form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`
  );
}

/** The Content-Security-Policy header value for every page rendered by `page()`. */
export const PAGE_CSP: string = csp("'self'");

/**
 * PAGE_CSP with `form-action` widened to the redirect target the form's POST will end at.
 * Chrome and Safari check form-action on every redirect after a submission, so a login or
 * consent form that answers with a 302 to the client's redirect_uri is blocked under 'self' alone.
 */
export function pageCsp(redirectUri?: string, scripts = false): string {
  const source = redirectUri === undefined ? null : formActionSource(redirectUri);
  return csp(source === null ? "'self'" : `'self' ${source}`, scripts);
}

/**
 * The policy of a page that loads scripts (the passkey pages: src/interaction/passkey-step.ts):
 * `script-src 'self'` — files the issuer serves, never inline script or another origin.
 */
export function scriptPageCsp(redirectUri?: string): string {
  return pageCsp(redirectUri, true);
}

const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'blob:', 'file:', 'filesystem:']);

/** A CSP source expression for a URI: its origin for http(s), its scheme for custom schemes. */
function formActionSource(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // A private-use scheme (RFC 8252), e.g. com.example.app: ; never a scheme that runs or embeds content.
    return UNSAFE_SCHEMES.has(url.protocol) ? null : url.protocol;
  }
  // CSP host-source has no IPv6 literals; fall back to the scheme (the form only ever posts to self).
  return /^https?:\/\/[a-z0-9.-]+(:\d+)?$/.test(url.origin) ? url.origin : url.protocol;
}

/** Who runs the pages: the name (JWT_OIDC_PRODUCT_NAME) and an optional logo (JWT_OIDC_LOGO_URL). */
export interface Brand {
  name: string;
  logoUrl?: string;
}

/** What the edge knows about the request a page answers; set per request by the app. */
export interface PageContext {
  brand?: Brand;
  requestId?: string;
}

/**
 * The page context of the current request. The app sets it once per request (src/app.ts), so
 * that every page, however deep its view, shows the operator's brand and, on error pages, the
 * request id that support can find in the logs.
 */
export const pageContext = new AsyncLocalStorage<PageContext>();

export interface PageOptions {
  title: string;
  /** Safe HTML (from the `html` tag). */
  body: string;
  lang?: string;
  /** An error page: shows the request id, so that a user can quote it. */
  error?: boolean;
  /** Override the request's page context (tests, or a page rendered outside a request). */
  context?: PageContext;
  /** Scripts of the issuer's own (absolute URLs), loaded deferred; the page's CSP must allow them (`scriptPageCsp`). */
  scripts?: readonly string[];
}

/** A complete HTML5 document; `body` must already be safe HTML. */
export function page(options: PageOptions): string {
  const context = options.context ?? pageContext.getStore() ?? {};
  const brand = context.brand;
  const header = brand
    ? `<p class="brand">${brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" width="24" height="24">` : ''}<span>${escapeHtml(brand.name)}</span></p>\n`
    : '';
  const footer = options.error && context.requestId ? `\n<p class="request-id">Request id: <code>${escapeHtml(context.requestId)}</code></p>` : '';
  const title = brand && !options.title.includes(brand.name) ? `${options.title} – ${brand.name}` : options.title;
  return `<!doctype html>
<html lang="${escapeHtml(options.lang || 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
${(options.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}" defer></script>\n`).join('')}</head>
<body>
<main class="card">
${header}${options.body}${footer}
</main>
</body>
</html>
`;
}
