/** RP-initiated logout: the confirmation page (when the request cannot be verified) and the result. */
import type { LogoutScope } from '../../provider/http-result.js';
import { html } from './html.js';
import { page } from './layout.js';


const scopeText = (scope: LogoutScope) =>
  scope.whole
    ? 'You will be signed out of your account here, and of every application that uses it.'
    : html`Only <strong>${scope.clientName}</strong> will be signed out; you stay signed in to your account and its other applications.`;

export function logoutConfirmPage(v: { action: string; csrfToken: string; clientName?: string; scope: LogoutScope; lang?: string }): string {
  const body = html`<h1>Sign out?</h1>
<p class="sub">${v.clientName ? html`<strong>${v.clientName}</strong> asks to sign you out.` : 'Do you want to sign out of your account?'}</p>
<p>${scopeText(v.scope)}</p>
<form method="post" action="${v.action}">
<input type="hidden" name="xsrf" value="${v.csrfToken}">
<button type="submit" name="logout" value="yes">Sign out</button>
<button type="submit" name="logout" value="no" class="secondary">Stay signed in</button>
</form>`;
  return page({ title: 'Sign out', body: body.value, lang: v.lang });
}

export function loggedOutPage(v: { signedOut: boolean; scope?: LogoutScope; lang?: string }): string {
  const ended = !v.scope || v.scope.whole ? 'You have signed out of your account and its applications.' : html`You have signed out of <strong>${v.scope.clientName}</strong>; you are still signed in to your account.`;
  const body = v.signedOut
    ? html`<h1>Signed out</h1><p class="sub">${ended} You can close this window.</p>`
    : html`<h1>Still signed in</h1><p class="sub">You stayed signed in.</p>`;
  return page({ title: v.signedOut ? 'Signed out' : 'Still signed in', body: body.value, lang: v.lang });
}
