/**
 * The client mode's own pages (the sign-out form, and the errors of login, callback and
 * sign-out) drawn with the provider's page shell, so that a user moving between this service's
 * provider and client modes sees one product: the same card, colours, brand and request id.
 * @jwt-oidc/express computes their Content-Security-Policy from the page (the stylesheet's hash).
 */
import type { RelyingPartyPage } from '@jwt-oidc/express';
import { html } from '../interaction/views/html.js';
import { page } from '../interaction/views/layout.js';

export function renderClientPage(view: RelyingPartyPage): string {
  const link = view.link ? html`\n<a class="back" href="${view.link.href}">${view.link.text}</a>` : '';
  if (view.kind === 'sign-out') {
    const body = html`<h1>${view.title}</h1>
<p class="sub">${view.message}</p>
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrfToken}">
<button type="submit">Sign out</button>
</form>${link}`;
    return page({ title: view.title, body: body.value });
  }
  const body = html`<h1>${view.title}</h1>
<p class="sub">${view.message}</p>${link}`;
  // The brand and the request id come from the request's page context (src/app.ts).
  return page({ title: view.title, body: body.value, error: true });
}
