/**
 * The registration pages (src/interaction/registration.ts): create an account, the same "Check
 * your mail" whether or not the address has an account already, the confirmation of the mailed
 * link (a button: opening the link changes nothing), and a new link when the first is lost. Each
 * field's problem beside it, as the sign-in and password-reset pages do.
 */
import { field } from './field.js';
import { html } from './html.js';
import { page } from './layout.js';

/** Where a sign-in page links to create an account (JWT_OIDC_REGISTRATION=open). */
export const REGISTER_PATH = '/account/register';
/** The mailed links are `<VERIFY_PATH>/<token>`; the page itself sends a new one. */
export const VERIFY_PATH = '/account/verify';

export type RegisterFormField = 'username' | 'email' | 'password' | 'confirm' | 'form';
export type ResendField = 'login' | 'form';

const FIELD_ORDER = ['username', 'email', 'password', 'confirm'] as const;

export function registerPage(v: {
  action: string;
  csrfToken: string;
  interaction?: string;
  /** Back to the sign-in page of the interaction. */
  signInUrl?: string;
  username?: string;
  email?: string;
  errors?: Partial<Record<RegisterFormField, string>>;
}): string {
  const errors = v.errors ?? {};
  // Focus where the first problem is, else on the first field.
  const focus = FIELD_ORDER.find((f) => errors[f]) ?? 'username';
  const autofocus = (name: string) => (name === focus ? html` autofocus` : '');
  const body = html`<h1>Create an account</h1>
<p class="sub">A link to confirm your email address is mailed to it: the account signs in once the address is confirmed.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${v.interaction ? html`<input type="hidden" name="interaction" value="${v.interaction}">` : ''}
${field('username', 'Username', errors.username, (a) => html`<input type="text" ${a} value="${v.username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="150"${autofocus('username')}>`, 'What you will sign in with.')}
${field('email', 'Email address', errors.email, (a) => html`<input type="email" ${a} value="${v.email ?? ''}" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="320"${autofocus('email')}>`)}
${field('password', 'Password', errors.password, (a) => html`<input type="password" ${a} autocomplete="new-password" required minlength="8" maxlength="1024"${autofocus('password')}>`, 'At least 8 characters.')}
${field('confirm', 'Password again', errors.confirm, (a) => html`<input type="password" ${a} autocomplete="new-password" required maxlength="1024"${autofocus('confirm')}>`)}
<button type="submit">Create the account</button>
</form>${v.signInUrl ? html`
<p><a href="${v.signInUrl}">I have an account: sign in</a></p>` : ''}`;
  return page({ title: 'Create an account', body: body.value });
}

/** The answer to every registration that passed the form's checks, whoever has the address. */
export function registerSentPage(v: { lifetime: string; resendUrl: string }): string {
  const body = html`<h1>Check your mail</h1>
<p class="sub" role="status">A mail is on its way to the address you entered. Open its link to confirm the address and finish creating your account: it works once, for ${v.lifetime}.</p>
<p>No mail after a few minutes? Check the spam folder, or <a href="${v.resendUrl}">send the link again</a>.</p>`;
  return page({ title: 'Check your mail', body: body.value });
}

/** The mailed link's page: a button, so that a mail scanner opening the link confirms nothing. */
export function confirmEmailPage(v: { action: string; csrfToken: string; username: string; email: string; error?: string }): string {
  const body = html`<h1>Confirm your email address</h1>
<p class="sub">Confirm that <strong>${v.email}</strong> is your address, for the account <strong>${v.username}</strong>.</p>
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<button type="submit">Confirm my email address</button>
</form>
<p class="hint">Did not create this account? Close this page: without the confirmation, nobody can sign in to it.</p>`;
  return page({ title: 'Confirm your email address', body: body.value });
}

export function emailConfirmedPage(): string {
  const body = html`<h1>Email confirmed</h1>
<p class="sub" role="status">Email confirmed, you can sign in now: with your username and password, at the application you were using.</p>`;
  return page({ title: 'Email confirmed', body: body.value });
}

export function verifyLinkInvalidPage(v: { resendUrl: string }): string {
  const body = html`<h1>This link no longer works</h1>
<p class="sub">Links that confirm an email address work once, for a limited time.</p>
<p><a href="${v.resendUrl}">Send a new link</a></p>`;
  return page({ title: 'This link no longer works', body: body.value, error: true });
}

export function resendRequestPage(v: { action: string; csrfToken: string; interaction?: string; login?: string; errors?: Partial<Record<ResendField, string>> }): string {
  const errors = v.errors ?? {};
  const body = html`<h1>Send a new confirmation link</h1>
<p class="sub">Enter the username or email address of the account you created. If it is waiting for its address to be confirmed, a new link is sent there.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${v.interaction ? html`<input type="hidden" name="interaction" value="${v.interaction}">` : ''}
${field('login', 'Username or email', errors.login, (a) => html`<input type="text" ${a} value="${v.login ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" autofocus>`)}
<button type="submit">Send a new link</button>
</form>`;
  return page({ title: 'Send a new confirmation link', body: body.value });
}

export function resendSentPage(): string {
  const body = html`<h1>Check your mail</h1>
<p class="sub" role="status">If the name you entered belongs to an account waiting for its address to be confirmed, a new link is on its way. It works once, for a limited time.</p>
<p>No mail after a few minutes? Check the spam folder, or ask an administrator.</p>`;
  return page({ title: 'Check your mail', body: body.value });
}
