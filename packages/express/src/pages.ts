/**
 * The relying party's own pages — the sign-out form and the error pages of login, callback and
 * sign-out — as plain data (`RelyingPartyPage`), and the package's default renderer for them: a
 * complete, accessible HTML5 page (lang, viewport, light and dark colour schemes, a heading) with
 * a short inline stylesheet. An app passes its own renderer (`renderPage`) to match its look; the
 * Content-Security-Policy is computed by the package from what the page contains (page-policy.ts),
 * never by the renderer.
 */
import { escapeHtml } from './http.js';

/** A way on from a page ("Sign in again", "Stay signed in"); `href` is a path of this app. */
export interface PageLink {
  href: string;
  text: string;
}

interface PageCommon {
  /** The HTTP status the page is sent with. */
  status: number;
  /** The page's title and heading (plain text: a renderer escapes it). */
  title: string;
  /** One or two sentences for the user (plain text). */
  message: string;
  link?: PageLink;
}

/** The sign-out form: a POST to `action` with the hidden field `csrf` set to `csrfToken`. */
export interface SignOutPageView extends PageCommon {
  kind: 'sign-out';
  action: string;
  csrfToken: string;
}

/** Login, the callback or sign-out could not go on; the details went to `onError`, never here. */
export interface ErrorPageView extends PageCommon {
  kind: 'error';
  /** The request's id in the app's logs (`req.id`, or the `X-Request-Id` response header), when it has one. */
  requestId?: string;
}

/** What `renderPage` receives. Every string is text to escape, never HTML. */
export type RelyingPartyPage = SignOutPageView | ErrorPageView;

/** Turns a page into a complete HTML document. */
export type PageRenderer = (view: RelyingPartyPage) => string;

/**
 * Kept short on purpose: a centred card, system fonts, and colours with at least 4.5:1 contrast
 * in both schemes (WCAG 2.1 SC 1.4.3); 44 px targets (SC 2.5.5).
 */
const CSS = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--text:#1f2328;--muted:#59636e;--line:#d0d7de;--accent:#0b57d0;--on-accent:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#30363d;--accent:#4493f8;--on-accent:#0d1117}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,sans-serif;overflow-wrap:anywhere}
main{width:100%;max-width:380px;padding:2rem 1.5rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
main>:last-child{margin-bottom:0}
h1{margin:0 0 .5rem;font-size:1.5rem;line-height:1.25}
p{margin:0 0 1rem}
a{color:var(--accent);font-weight:600}
button{display:block;width:100%;min-height:44px;margin:1.5rem 0 1rem;font:inherit;font-weight:600;color:var(--on-accent);background:var(--accent);border:0;border-radius:8px;cursor:pointer}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.request-id{margin:1.5rem 0 0;font-size:.75rem;color:var(--muted)}
`;

/** The package's default page: a heading, the message, the form or the request id, and the link. */
export function renderDefaultPage(view: RelyingPartyPage): string {
  const e = escapeHtml;
  const form =
    view.kind === 'sign-out'
      ? `\n<form method="post" action="${e(view.action)}">\n<input type="hidden" name="csrf" value="${e(view.csrfToken)}">\n<button type="submit">Sign out</button>\n</form>`
      : '';
  const link = view.link ? `\n<p><a href="${e(view.link.href)}">${e(view.link.text)}</a></p>` : '';
  const requestId = view.kind === 'error' && view.requestId ? `\n<p class="request-id">Request id: <code>${e(view.requestId)}</code></p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${e(view.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${e(view.title)}</h1>
<p>${e(view.message)}</p>${form}${link}${requestId}
</main>
</body>
</html>
`;
}
