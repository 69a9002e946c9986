/**
 * The pages of an email change's link (src/interaction/email-change.ts): the confirmation (a
 * button: opening the link changes nothing), the change done, the address taken meanwhile, and
 * a link that no longer works.
 */
import { html } from './html.js';
import { page } from './layout.js';

export function confirmEmailChangePage(v: { action: string; csrfToken: string; username: string; email: string; error?: string }): string {
  const body = html`<h1>Confirm your new email address</h1>
<p class="sub">Confirm that <strong>${v.email}</strong> becomes the address of the account <strong>${v.username}</strong>.</p>
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<button type="submit">Use this address</button>
</form>
<p class="hint">Did not ask for this? Close this page: the account keeps its address.</p>`;
  return page({ title: 'Confirm your new email address', body: body.value });
}

export function emailChangedPage(v: { email: string; accountUrl?: string }): string {
  const body = html`<h1>Email address changed</h1>
<p class="sub" role="status">Your account's address is now <strong>${v.email}</strong>. The previous address was told of the change.</p>${v.accountUrl ? html`
<p><a href="${v.accountUrl}">Back to your account</a></p>` : ''}`;
  return page({ title: 'Email address changed', body: body.value });
}

export function emailTakenPage(): string {
  const body = html`<h1>This address is not available</h1>
<p class="sub">Another account has this address now, so your account keeps its address. Choose another one on your account page.</p>`;
  return page({ title: 'This address is not available', body: body.value, error: true });
}

export function emailChangeLinkInvalidPage(): string {
  const body = html`<h1>This link no longer works</h1>
<p class="sub">A link that confirms a new address works once, for a limited time, and only while the account still has the address it had when the link was asked for. Ask for a new one on your account page.</p>`;
  return page({ title: 'This link no longer works', body: body.value, error: true });
}
