/**
 * OAuth 2.0 Form Post Response Mode: a page that POSTs the authorization response to the
 * client's redirect URI by itself. The one script runs under a per-response CSP nonce; without
 * script a button does the same.
 */
import { escapeHtml } from './html.js';
import { pageCsp } from './layout.js';

export function formPostPage(action: string, fields: Record<string, string>, nonce: string): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    `<meta name="robots" content="noindex"><title>Continuing…</title></head><body>` +
    `<form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>` +
    `<script nonce="${escapeHtml(nonce)}">document.forms[0].submit()</script></body></html>`
  );
}

/** The page's policy: its own script only, the form may go to the client, nothing else. */
export function formPostCsp(action: string, nonce: string): string {
  return pageCsp(action).replace("default-src 'none';", `default-src 'none'; script-src 'nonce-${nonce}';`);
}
