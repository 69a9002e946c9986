/**
 * The HTTP edge's drawing of pages: protocol code answers with page views as data
 * (`HttpResult.page`, src/provider/http-result.ts); here they become HTML with the policy each
 * needs. `htmlPage` wraps a page drawn at the edge itself (the interaction and fake pages).
 */
import { PAGE_HEADERS, type HttpResult, type PageView } from '../../provider/http-result.js';
import { errorPage } from './error.js';
import { formPostCsp, formPostPage } from './form-post.js';
import { PAGE_CSP } from './layout.js';
import { loggedOutPage, logoutConfirmPage } from './logout.js';
import { deviceDonePage } from './device.js';

export function renderPage(page: PageView): { html: string; csp: string } {
  switch (page.view) {
    case 'error':
      return { html: errorPage(page), csp: PAGE_CSP };
    case 'logout-confirm':
      return { html: logoutConfirmPage(page), csp: PAGE_CSP };
    case 'logged-out':
      return { html: loggedOutPage(page), csp: PAGE_CSP };
    case 'device-done':
      return { html: deviceDonePage(page), csp: PAGE_CSP };
    case 'form-post':
      return { html: formPostPage(page.action, page.fields, page.nonce), csp: formPostCsp(page.action, page.nonce) };
  }
}

/** An HTML page drawn at the edge, with the strict page policy unless `extra` names another: no script, no framing (docs/SECURITY.md SE-06). */
export function htmlPage(status: number, html: string, extra: Record<string, string> = {}, setCookies: string[] = []): HttpResult {
  return {
    status,
    headers: { ...PAGE_HEADERS, 'Content-Security-Policy': PAGE_CSP, ...extra },
    body: html,
    setCookies,
  };
}
