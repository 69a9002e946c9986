/**
 * The passkey part of the sign-in pages (docs/ACCOUNTS.md "Passkeys"): a form that the page's
 * script (PASSKEY_SCRIPT, served from the issuer: `script-src 'self'`, no inline script) fills
 * with the authenticator's answer and posts. Hidden until that script runs and finds WebAuthn in
 * the browser, so that a page without JavaScript shows only what works without it.
 */
import { html, type Raw } from './html.js';

/** Where the pages load their scripts from, below the issuer (src/http/passkey-scripts.ts serves them). */
export const WEBAUTHN_LIBRARY_PATH = '/webauthn/simplewebauthn-browser.js';
export const PASSKEY_SCRIPT_PATH = '/webauthn/passkey.js';

/** What a page offers: where to post, its CSRF token, the options for navigator.credentials.get() (JSON text), the button's words. */
export interface PasskeyOffer {
  action: string;
  csrfToken: string;
  options: string;
  label: string;
  /** The scripts' URLs (the library, then ours), which the page loads. */
  scripts: readonly string[];
}

export function passkeyForm(o: PasskeyOffer, intro?: string): Raw {
  return html`<div data-passkey hidden>
${intro ? html`<p>${intro}</p>\n` : ''}<form method="post" action="${o.action}" data-passkey-options="${o.options}">
<input type="hidden" name="csrf" value="${o.csrfToken}">
<input type="hidden" name="response" value="">
<button type="submit">${o.label}</button>
<p class="error" role="alert" id="passkey-error" hidden></p>
</form>
</div>`;
}

/**
 * The pages' own script: for each passkey form, shows it (when the browser has WebAuthn), and on
 * submit asks the authenticator (@simplewebauthn/browser's startAuthentication, loaded before it
 * as `SimpleWebAuthnBrowser`), puts its answer into the form and posts it. A refusal or a cancel
 * is said beside the button (`aria-describedby`) and the button keeps the focus.
 */
export const PASSKEY_SCRIPT = `/* jwt-oidc: passkey sign-in (docs/ACCOUNTS.md "Passkeys") */
(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;
  var forms = document.querySelectorAll('form[data-passkey-options]');
  Array.prototype.forEach.call(forms, function (form) {
    var part = form.closest('[data-passkey]');
    if (part) part.hidden = false;
    var button = form.querySelector('button');
    var problem = form.querySelector('.error');
    var sending = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (sending) return;
      sending = true;
      button.disabled = true;
      problem.hidden = true;
      lib.startAuthentication({ optionsJSON: JSON.parse(form.getAttribute('data-passkey-options')) }).then(function (answer) {
        form.elements.response.value = JSON.stringify(answer);
        HTMLFormElement.prototype.submit.call(form);
      }, function (error) {
        sending = false;
        button.disabled = false;
        problem.textContent = error && error.name === 'NotAllowedError'
          ? 'No passkey was used: it was cancelled or took too long. Try again.'
          : 'This browser could not use a passkey here.';
        problem.hidden = false;
        button.setAttribute('aria-describedby', problem.id);
        button.focus();
      });
    });
  });
})();
`;
