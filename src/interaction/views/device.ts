/**
 * The device sign-in pages (RFC 8628 §3.3): the code form, the confirmation that the code is the
 * one the device shows and which application asks (§5.4: a code sent by someone else must not
 * sign the user in to their device), and the end: back to the device, or denied.
 */
import { field } from './field.js';
import { html } from './html.js';
import { page } from './layout.js';
import { describeScope } from './scope-words.js';

export function deviceCodePage(v: { action: string; csrfToken: string; userCode?: string; error?: string; lang?: string }): string {
  const body = html`<h1>Connect a device</h1>
<p class="sub">Enter the code your device shows.</p>
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${field('user_code', 'Code', v.error, (attrs) => html`<input type="text" ${attrs} value="${v.userCode ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="16"${v.userCode ? '' : html` autofocus`}>`, 'Eight letters, such as BCDF-GHJK.')}
<button type="submit">Continue</button>
</form>`;
  return page({ title: 'Connect a device', body: body.value, lang: v.lang });
}

export function deviceConfirmPage(v: { action: string; csrfToken: string; userCode: string; clientName: string; scopes: string[]; lang?: string }): string {
  const words = v.scopes.map(describeScope);
  const body = html`<h1>Connect ${v.clientName}?</h1>
<p class="sub">Only continue if you started this on your device and it shows the code <strong>${v.userCode}</strong>. Never enter a code that someone sent you.</p>
${words.length ? html`<p>It asks to:</p>
<ul class="scopes">${words.map((w) => html`<li>${w}</li>\n`)}</ul>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<input type="hidden" name="user_code" value="${v.userCode}">
<button type="submit" name="decision" value="confirm">Yes, it's my device</button>
<button type="submit" name="decision" value="deny" class="secondary">No, cancel</button>
</form>`;
  return page({ title: `Connect ${v.clientName}`, body: body.value, lang: v.lang });
}

export function deviceDonePage(v: { approved: boolean; clientName?: string; lang?: string }): string {
  const body = v.approved
    ? html`<h1>Device connected</h1>
<p class="sub">You may return to your device${v.clientName ? html`: <strong>${v.clientName}</strong> is signing in` : ''}. You can close this page.</p>`
    : html`<h1>Denied</h1>
<p class="sub">The device was not connected${v.clientName ? html` to <strong>${v.clientName}</strong>` : ''}. You can close this page.</p>`;
  return page({ title: v.approved ? 'Device connected' : 'Denied', body: body.value, lang: v.lang });
}
