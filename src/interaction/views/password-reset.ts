/**
 * The password-reset pages (src/interaction/password-reset.ts): ask for a link, the same answer
 * whoever was named, the new-password form, and the link that no longer works. Each field's
 * problem beside it, as the sign-in and first-run pages do.
 */
import { field } from './field.js';
import { html } from './html.js';
import { page } from './layout.js';

/** Where a sign-in page links for a forgotten password (src/interaction/password-reset.ts). */
export const PASSWORD_RESET_PATH = '/account/password-reset';

export type ResetField = 'login' | 'password' | 'confirm' | 'form';

export function resetRequestPage(v: { action: string; csrfToken: string; interaction?: string; login?: string; errors?: Partial<Record<ResetField, string>> }): string {
  const errors = v.errors ?? {};
  const body = html`<h1>Reset your password</h1>
<p class="sub">Enter your username or email address. If it belongs to an account with an email address, a link to choose a new password is sent there.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${v.interaction ? html`<input type="hidden" name="interaction" value="${v.interaction}">` : ''}
${field('login', 'Username or email', errors.login, (a) => html`<input type="text" ${a} value="${v.login ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" autofocus>`)}
<button type="submit">Send the link</button>
</form>`;
  return page({ title: 'Reset your password', body: body.value });
}

export function resetSentPage(): string {
  const body = html`<h1>Check your mail</h1>
<p class="sub" role="status">If the name you entered belongs to an account with an email address, a link to choose a new password is on its way. It works once, for a limited time.</p>
<p>No mail after a few minutes? Check the spam folder, or ask an administrator.</p>`;
  return page({ title: 'Check your mail', body: body.value });
}

export function newPasswordPage(v: { action: string; csrfToken: string; errors?: Partial<Record<ResetField, string>> }): string {
  const errors = v.errors ?? {};
  const first = errors.confirm && !errors.password ? 'confirm' : 'password';
  const body = html`<h1>Choose a new password</h1>
<p class="sub">Every session and every application signed in to this account will have to sign in again.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${field('password', 'New password', errors.password, (a) => html`<input type="password" ${a} autocomplete="new-password" required minlength="8" maxlength="1024"${first === 'password' ? html` autofocus` : ''}>`, 'At least 8 characters.')}
${field('confirm', 'New password again', errors.confirm, (a) => html`<input type="password" ${a} autocomplete="new-password" required maxlength="1024"${first === 'confirm' ? html` autofocus` : ''}>`)}
<button type="submit">Set the new password</button>
</form>`;
  return page({ title: 'Choose a new password', body: body.value });
}

export function passwordChangedPage(): string {
  const body = html`<h1>Password changed</h1>
<p class="sub" role="status">Your new password is set, and every earlier session has ended. Sign in with it at the application you were using.</p>`;
  return page({ title: 'Password changed', body: body.value });
}

export function linkInvalidPage(v: { requestUrl: string }): string {
  const body = html`<h1>This link no longer works</h1>
<p class="sub">Password-reset links work once, for a limited time, and end when the password changes.</p>
<p><a href="${v.requestUrl}">Ask for a new link</a></p>`;
  return page({ title: 'This link no longer works', body: body.value, error: true });
}
