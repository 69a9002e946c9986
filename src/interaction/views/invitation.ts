/**
 * The invitation pages (src/interaction/invitation.ts): the form that creates the invited
 * account (the address shown, not a field: the link creates the account of the address it went
 * to), the page once it is ready, and the link that no longer works. Each field's problem
 * beside it, as the registration and password-reset pages do.
 */
import { INVITATION_PATH } from '../../users/invitations.js';
import { field } from './field.js';
import { html } from './html.js';
import { page } from './layout.js';

/** The mailed links are `<INVITATION_PATH>/<token>` (docs/ACCOUNTS.md "Invitations"). */
export { INVITATION_PATH };

export type InvitationField = 'username' | 'password' | 'confirm' | 'form';

const FIELD_ORDER = ['username', 'password', 'confirm'] as const;

export function invitationPage(v: { action: string; csrfToken: string; email: string; username?: string; errors?: Partial<Record<InvitationField, string>> }): string {
  const errors = v.errors ?? {};
  // Focus where the first problem is, else on the first field.
  const focus = FIELD_ORDER.find((f) => errors[f]) ?? 'username';
  const autofocus = (name: string) => (name === focus ? html` autofocus` : '');
  const body = html`<h1>Create your account</h1>
<p class="sub">You are invited: choose how you will sign in. Your account's email address is <strong id="invited-email">${v.email}</strong>.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${field('username', 'Username', errors.username, (a) => html`<input type="text" ${a} value="${v.username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="150"${autofocus('username')}>`, 'What you will sign in with.')}
${field('password', 'Password', errors.password, (a) => html`<input type="password" ${a} autocomplete="new-password" required minlength="8" maxlength="1024"${autofocus('password')}>`, 'At least 8 characters.')}
${field('confirm', 'Password again', errors.confirm, (a) => html`<input type="password" ${a} autocomplete="new-password" required maxlength="1024"${autofocus('confirm')}>`)}
<button type="submit">Create my account</button>
</form>`;
  return page({ title: 'Create your account', body: body.value });
}

export function accountReadyPage(v: { username: string; accountUrl?: string }): string {
  const body = html`<h1>Your account is ready</h1>
<p class="sub" role="status">Your account is ready: sign in as <strong>${v.username}</strong> with the password you chose, at the application you were invited to${v.accountUrl ? html` or on <a href="${v.accountUrl}">your account page</a>` : ''}.</p>`;
  return page({ title: 'Your account is ready', body: body.value });
}

export function invitationInvalidPage(): string {
  const body = html`<h1>This link no longer works</h1>
<p class="sub">An invitation's link works once, for a limited time, and a newer invitation to the same address replaces it.</p>
<p>Ask the administrator who invited you for a new one.</p>`;
  return page({ title: 'This link no longer works', body: body.value, error: true });
}
