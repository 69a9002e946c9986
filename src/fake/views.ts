/**
 * The fake mode's login page: a banner saying what it is, one-click buttons for the recent
 * identities, and a form for a new one (any `sub`, email, name, extra claims as JSON) with how
 * the user is said to have authenticated (a level, or any `acr` and `amr`). No script; every
 * value escaped; the forms post to the interaction, with its CSRF token.
 */
import { html, raw, type Raw } from '../interaction/views/html.js';
import { page } from '../interaction/views/layout.js';
import { LEVELS, type Level } from './authentication.js';
import type { FakeIdentity, IdentityForm } from './identity.js';

export interface LoginPageView {
  action: string;
  csrfToken: string;
  recent: readonly FakeIdentity[];
  clientName: string;
  error?: { field: string; message: string };
  /** What was typed, shown again after an error (or the request's `login_hint` as the subject). */
  typed?: IdentityForm;
  /** The authentication the request's `acr_values` ask for: what the recent identities sign in with. */
  asked: { level: Level; acr?: string };
}

export function fakeLoginPage(v: LoginPageView): string {
  // The field an error is about points at the message (WCAG 3.3.1).
  const invalid = (field: string) => (v.error?.field === field ? raw(' aria-invalid="true" aria-describedby="form-error"') : '');
  // A field with a hint: the hint describes it, and the error first when there is one.
  const described = (field: string, hint: string) => raw(v.error?.field === field ? ` aria-invalid="true" aria-describedby="form-error ${hint}"` : ` aria-describedby="${hint}"`);
  const csrf = html`<input type="hidden" name="csrf" value="${v.csrfToken}">`;
  // A recent identity signs in as the request asks (acr_values), or with nothing stated.
  const asked = html`<input type="hidden" name="level" value="${v.asked.level}">${v.asked.acr ? html`<input type="hidden" name="acr" value="${v.asked.acr}">` : ''}`;
  const recent: Raw[] = v.recent.map(
    (i) => html`<li><form method="post" action="${v.action}">${csrf}${asked}<input type="hidden" name="identity" value="${i.sub}"><button type="submit" class="secondary">${i.sub}${typeof i.claims.email === 'string' ? html` · ${i.claims.email}` : ''}</button></form></li>`,
  );
  const level = v.typed?.level && Object.hasOwn(LEVELS, v.typed.level) ? v.typed.level : v.asked.level;
  const levels: Raw[] = Object.entries(LEVELS).map(([value, l]) => html`<option value="${value}"${value === level ? raw(' selected') : ''}>${l.label}</option>`);
  const body = html`<p class="banner" role="note">Fake provider: for development only. Anyone can sign in as anyone.</p>
<h1>Sign in as…</h1>
<p class="sub">to <strong>${v.clientName}</strong></p>
${v.error ? html`<p class="error" role="alert" id="form-error">${v.error.message}</p>` : ''}
${recent.length ? html`<ul class="scopes" aria-label="Recent identities">${recent}</ul>` : ''}
<form method="post" action="${v.action}">
${csrf}
<label for="sub">Subject (sub)</label>
<input id="sub" name="sub" required maxlength="255" autocomplete="off" autofocus value="${v.typed?.sub ?? ''}"${invalid('sub')}>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="off" value="${v.typed?.email ?? ''}"${invalid('email')}>
<label for="name">Name</label>
<input id="name" name="name" autocomplete="off" value="${v.typed?.name ?? ''}"${invalid('name')}>
<label for="claims">Extra claims (JSON)</label>
<textarea id="claims" name="claims" rows="3" placeholder='{"roles": ["admin"]}'${invalid('claims')}>${v.typed?.claims ?? ''}</textarea>
<p class="hint">Released in the ID token and at userinfo.</p>
<label for="level">Authentication</label>
<select id="level" name="level">${levels}</select>
<label for="acr">Authentication context (acr)</label>
<input id="acr" name="acr" autocomplete="off" value="${v.typed?.acr ?? ''}"${described('acr', 'acr-hint')}>
<p class="hint" id="acr-hint">Instead of the one above, when typed.</p>
<label for="amr">Authentication methods (amr)</label>
<input id="amr" name="amr" autocomplete="off" placeholder="pwd, otp" value="${v.typed?.amr ?? ''}"${described('amr', 'amr-hint')}>
<p class="hint" id="amr-hint">A comma-separated list (RFC 8176), instead of the one above, when typed. Both go in the ID and access tokens.</p>
<button type="submit">Sign in</button>
</form>`;
  return page({ title: 'Fake provider: sign in', body: body.value });
}
