/**
 * The consent page: which client asks, for which account, for what; the user allows or denies.
 */
import { html } from './html.js';
import { page } from './layout.js';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm your identity',
  profile: 'See your name, username, picture and language',
  'profile:write': 'Change your name, picture and language',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay connected when you are not using it',
  admin: 'Administer this identity provider (full control)',
};

/** Scopes that change things (the provider itself, or what other apps see of you); shown as a warning. */
const DANGEROUS_SCOPES = new Set(['admin', 'profile:write']);

/** A plain-text (unescaped) description of a scope, for people rather than developers. */
export function describeScope(scope: string): string {
  // Object.hasOwn: a scope named "constructor" or "__proto__" is just an unknown scope.
  return Object.hasOwn(SCOPE_DESCRIPTIONS, scope) ? SCOPE_DESCRIPTIONS[scope] : `Access “${scope}”`;
}

export function consentPage(v: {
  action: string;
  csrfToken: string;
  clientName: string;
  clientLogoUri?: string | null;
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
  const body = html`${v.clientLogoUri ? html`<img class="logo" src="${v.clientLogoUri}" alt="${v.clientName}" width="48" height="48">\n` : ''}<h1>${v.clientName} wants to access your account</h1>
<p class="sub">Signed in as <strong>${v.username}</strong></p>
${items.length > 0 ? html`<p>Requested access:</p>
<ul class="scopes">
${items.map((item) => html`${item}\n`)}</ul>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
  return page({ title: `Allow access – ${v.clientName}`, body: body.value, lang: v.lang });
}
