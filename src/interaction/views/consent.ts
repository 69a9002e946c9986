/**
 * The consent page: which client asks, for which account, for what; the user allows or denies.
 */
import { html } from './html.js';
import { page } from './layout.js';
import { DANGEROUS_SCOPES, describeScope } from './scope-words.js';

export { describeScope };

export function consentPage(v: {
  action: string;
  csrfToken: string;
  clientName: string;
  clientLogoUri?: string | null;
  /**
   * The host of the client's metadata document, for a client nobody registered
   * (draft-ietf-oauth-client-id-metadata-document): named with the client, since the name is
   * whatever that document says and only the host is vouched for (by its TLS certificate).
   */
  clientHost?: string;
  username: string;
  scopes: string[];
  lang?: string;
}): string {
  const scopes = [...new Set(v.scopes)];
  const items = scopes.map((scope) =>
    DANGEROUS_SCOPES.has(scope)
      ? html`<li class="scope-danger">Warning: ${describeScope(scope)}</li>`
      : html`<li>${describeScope(scope)}</li>`,
  );
  const body = html`${v.clientLogoUri ? html`<img class="logo" src="${v.clientLogoUri}" alt="${v.clientName}" width="48" height="48">\n` : ''}<h1>${v.clientHost ? html`${v.clientName} at <span class="client-host">${v.clientHost}</span>` : v.clientName} wants to access your account</h1>
${v.clientHost ? html`<p class="client-origin">This application is not registered with this service: it describes itself at <strong>${v.clientHost}</strong>. Allow it only if you trust <strong>${v.clientHost}</strong>.</p>
` : ''}<p class="sub">Signed in as <strong>${v.username}</strong></p>
${items.length > 0 ? html`<p>Requested access:</p>
<ul class="scopes">
${items.map((item) => html`${item}\n`)}</ul>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
  return page({ title: `Allow access – ${v.clientName}${v.clientHost ? ` at ${v.clientHost}` : ''}`, body: body.value, lang: v.lang });
}
