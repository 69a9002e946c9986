/** RP-initiated logout: the confirmation page (when the request cannot be verified) and the result. */
import { html } from './html.js';
import { page } from './layout.js';

export function logoutConfirmPage(v: { action: string; csrfToken: string; clientName?: string; lang?: string }): string {
  const body = html`<h1>Sign out?</h1>
<p class="sub">${v.clientName ? html`<strong>${v.clientName}</strong> asks to sign you out.` : 'Do you want to sign out of your account?'}</p>
<form method="post" action="${v.action}">
<input type="hidden" name="xsrf" value="${v.csrfToken}">
<button type="submit" name="logout" value="yes">Sign out</button>
<button type="submit" name="logout" value="no" class="secondary">Stay signed in</button>
</form>`;
  return page({ title: 'Sign out', body: body.value, lang: v.lang });
}

export function loggedOutPage(v: { signedOut: boolean; lang?: string }): string {
  const body = v.signedOut
    ? html`<h1>Signed out</h1><p class="sub">You have signed out. You can close this window.</p>`
    : html`<h1>Still signed in</h1><p class="sub">You stayed signed in.</p>`;
  return page({ title: v.signedOut ? 'Signed out' : 'Still signed in', body: body.value, lang: v.lang });
}
