/**
 * The second step of a sign-in (docs/ACCOUNTS.md "Two-step sign-in"): the code of the user's
 * authenticator app, or — through the link below it — one of their recovery codes. Posted with
 * the interaction's CSRF token. A user with passkeys is offered "Use a passkey" too: the only
 * script, served from the issuer (views/passkey.ts); the code forms work without it.
 */
import { html } from './html.js';
import { page } from './layout.js';
import { passkeyForm, type PasskeyOffer } from './passkey.js';

export function secondFactorPage(v: {
  action: string;
  csrfToken: string;
  clientName: string;
  /** The recovery-code form instead of the app's code. */
  recovery: boolean;
  /** The page with the other form. */
  otherUrl: string;
  error?: string;
  lang?: string;
  /** Whether the user has an authenticator app (otherwise only the passkey and recovery codes are offered). */
  totp?: boolean;
  /** "Use a passkey", for a user with passkeys. */
  passkey?: PasskeyOffer;
}): string {
  const totp = v.totp !== false;
  const form = v.recovery
    ? html`<p>Enter one of the recovery codes you saved when you turned on two-step sign-in. Each works once.</p>
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<input type="hidden" name="kind" value="recovery">
<label for="code">Recovery code</label>
<input type="text" id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="40"${v.error ? html` aria-invalid="true" aria-describedby="code-error"` : ''} autofocus>
<button type="submit">Continue</button>
</form>
${totp ? html`<p><a href="${v.otherUrl}">Use the code of your authenticator app</a></p>` : v.passkey ? html`<p><a href="${v.otherUrl}">Use a passkey</a></p>` : ''}`
    : !totp
      ? html`<noscript><p>Signing in with a passkey needs JavaScript.</p></noscript>
<p><a href="${v.otherUrl}">Use a recovery code instead</a></p>`
      : html`<p>Enter the 6-digit code your authenticator app shows.</p>
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<input type="hidden" name="kind" value="totp">
<label for="code">Code</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required maxlength="10"${v.error ? html` aria-invalid="true" aria-describedby="code-error"` : ''} autofocus>
<button type="submit">Continue</button>
</form>
<p><a href="${v.otherUrl}">Use a recovery code instead</a></p>`;
  const body = html`<h1>Two-step sign-in</h1>
<p class="sub">to continue to <strong>${v.clientName}</strong></p>
${v.error ? html`<p class="error" role="alert" id="code-error">${v.error}</p>` : ''}${v.passkey && !v.recovery ? passkeyForm(v.passkey, totp ? 'Use one of your passkeys, or enter a code below.' : 'Use one of your passkeys.') : ''}${form}`;
  return page({ title: `Two-step sign-in – ${v.clientName}`, body: body.value, lang: v.lang, scripts: v.passkey && !v.recovery ? v.passkey.scripts : undefined });
}
