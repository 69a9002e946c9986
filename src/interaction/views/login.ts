/**
 * The sign-in page: username and password, posted with a CSRF token to the interaction endpoint;
 * where JWT_OIDC_PASSKEY_LOGIN is on, "Sign in with a passkey" below (views/passkey.ts), the
 * page's only script, hidden until it runs.
 */
import { html } from './html.js';
import { page } from './layout.js';
import { passkeyForm, type PasskeyOffer } from './passkey.js';

export function loginPage(v: {
  action: string;
  csrfToken: string;
  clientName: string;
  clientLogoUri?: string | null;
  username?: string;
  error?: string;
  lang?: string;
  /** "Forgot your password?": the reset page, where mail can be sent (PASSWORD_RESET). */
  resetUrl?: string;
  /** "Create an account": the registration page (REGISTRATION=open). */
  registerUrl?: string;
  /** Beside `error`: where to ask for a new confirmation link (an account that waits for its address). */
  resendUrl?: string;
  /** "Sign in with a passkey" (PASSKEY_LOGIN). */
  passkey?: PasskeyOffer;
}): string {
  const username = v.username ?? '';
  // Focus where typing continues: the username on a fresh form, the password after a failed attempt.
  const focusUsername = username === '';
  const body = html`${v.clientLogoUri ? html`<img class="logo" src="${v.clientLogoUri}" alt="${v.clientName}" width="48" height="48">\n` : ''}<h1>Sign in</h1>
<p class="sub">to continue to <strong>${v.clientName}</strong></p>
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}${v.resendUrl ? html`<p><a href="${v.resendUrl}">Send the link again</a></p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="150"${focusUsername ? html` autofocus` : ''}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024"${focusUsername ? '' : html` autofocus`}>
<button type="submit">Sign in</button>
</form>${v.passkey ? html`
${passkeyForm(v.passkey, 'Or, without typing anything:')}` : ''}${v.resetUrl ? html`
<p><a href="${v.resetUrl}">Forgot your password?</a></p>` : ''}${v.registerUrl ? html`
<p><a href="${v.registerUrl}">Create an account</a></p>` : ''}`;
  return page({ title: `Sign in – ${v.clientName}`, body: body.value, lang: v.lang, scripts: v.passkey?.scripts });
}
