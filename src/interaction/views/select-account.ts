/** `prompt=select_account`: continue as the user who is logged in, or sign in as someone else. */
import { html } from './html.js';
import { page } from './layout.js';

export function selectAccountPage(v: { action: string; csrfToken: string; clientName: string; username: string; lang?: string }): string {
  const body = html`<h1>Choose an account</h1>
<p class="sub">to continue to <strong>${v.clientName}</strong></p>
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<button type="submit" name="decision" value="continue">Continue as ${v.username}</button>
<button type="submit" name="decision" value="switch" class="secondary">Use another account</button>
</form>`;
  return page({ title: `Choose an account – ${v.clientName}`, body: body.value, lang: v.lang });
}
