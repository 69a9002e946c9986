/**
 * The first-run page: create the first administrator. Each field's problem is shown beside it
 * (`aria-describedby`), and what was typed stays, passwords aside.
 */
import { html, type Raw } from './html.js';
import { page } from './layout.js';

export type SetupField = 'username' | 'email' | 'password' | 'confirm' | 'code' | 'form';

export interface SetupView {
  action: string;
  csrfToken: string;
  /** Ask for the setup code that `npm start` printed (a browser not on the server's machine). */
  askCode: boolean;
  username?: string;
  email?: string;
  errors?: Partial<Record<SetupField, string>>;
}

export function setupPage(v: SetupView): string {
  const errors = v.errors ?? {};
  const first = (['code', 'username', 'email', 'password', 'confirm'] as const).find((f) => errors[f]) ?? (v.askCode ? 'code' : 'username');
  const field = (name: Exclude<SetupField, 'form'>, label: string, input: (attrs: Raw) => Raw, hint?: string) => {
    const error = errors[name];
    const described = [hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
    const attrs = html`id="${name}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}${first === name ? html` autofocus` : ''}`;
    return html`<label for="${name}">${label}</label>
${input(attrs)}${hint ? html`\n<p class="hint" id="${name}-hint">${hint}</p>` : ''}${error ? html`\n<p class="error" id="${name}-error">${error}</p>` : ''}`;
  };
  const body = html`<h1>Create the first administrator</h1>
<p class="sub">Nobody administers this provider yet. The account made here can manage its users, clients and keys; this page is gone once it exists.</p>
${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
${v.askCode ? field('code', 'Setup code', (a) => html`<input type="text" ${a} autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="32">`, 'Printed by the server when it started (jwt-oidc serve, npm start).') : ''}
${field('username', 'Username', (a) => html`<input type="text" ${a} value="${v.username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="150">`)}
${field('email', 'Email (optional)', (a) => html`<input type="email" ${a} value="${v.email ?? ''}" autocomplete="email" maxlength="254">`)}
${field('password', 'Password', (a) => html`<input type="password" ${a} autocomplete="new-password" required minlength="8" maxlength="1024">`, 'At least 8 characters.')}
${field('confirm', 'Password again', (a) => html`<input type="password" ${a} autocomplete="new-password" required maxlength="1024">`)}
<button type="submit">Create administrator</button>
</form>`;
  return page({ title: 'Create the first administrator', body: body.value });
}

export function setupDonePage(v: { username: string }): string {
  const body = html`<h1>Administrator created</h1>
<p class="sub"><strong>${v.username}</strong> administers this provider now.</p>
<p><a href="./">Open the admin console</a> and sign in as ${v.username} to manage users, clients and keys; with a token that has the <code>admin</code> scope, the GraphQL API at <code>/graphql</code> does the same.</p>`;
  return page({ title: 'Administrator created', body: body.value });
}
