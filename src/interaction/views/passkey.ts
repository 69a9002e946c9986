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

/**
 * What a page offers: where to post, its CSRF token, the options for navigator.credentials.get()
 * — or, for `register`, navigator.credentials.create() — (JSON text), the button's words.
 */
export interface PasskeyOffer {
  action: string;
  csrfToken: string;
  options: string;
  label: string;
  /** A new passkey (the set-up at sign-in: src/interaction/enrolment.ts) rather than a sign-in with one. */
  register?: boolean;
  /** The scripts' URLs (the library, then ours), which the page loads. */
  scripts: readonly string[];
}

/** The form alone, which the script finds by its options; put inside an element with `data-passkey hidden`. */
export function passkeyFormOnly(o: PasskeyOffer): Raw {
  return html`<form method="post" action="${o.action}" data-passkey-options="${o.options}"${o.register ? html` data-passkey-register` : ''}>
<input type="hidden" name="csrf" value="${o.csrfToken}">
<input type="hidden" name="response" value="">
<button type="submit">${o.label}</button>
<p class="error" role="alert" id="passkey-error" hidden></p>
</form>`;
}

export function passkeyForm(o: PasskeyOffer, intro?: string): Raw {
  return html`<div data-passkey hidden>
${intro ? html`<p>${intro}</p>\n` : ''}${passkeyFormOnly(o)}
</div>`;
}

/**
 * The pages' own script: for each passkey form, shows it (when the browser has WebAuthn), and on
 * submit asks the authenticator (@simplewebauthn/browser's startAuthentication — or, for a form
 * marked `data-passkey-register`, startRegistration —, loaded before it as
 * `SimpleWebAuthnBrowser`), puts its answer into the form and posts it. A refusal or a cancel is
 * said beside the button (`aria-describedby`) and the button keeps the focus.
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
    var register = form.hasAttribute('data-passkey-register');
    var ceremony = register ? lib.startRegistration : lib.startAuthentication;
    var sending = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (sending) return;
      sending = true;
      button.disabled = true;
      problem.hidden = true;
      ceremony({ optionsJSON: JSON.parse(form.getAttribute('data-passkey-options')) }).then(function (answer) {
        form.elements.response.value = JSON.stringify(answer);
        HTMLFormElement.prototype.submit.call(form);
      }, function (error) {
        sending = false;
        button.disabled = false;
        var cancelled = error && error.name === 'NotAllowedError';
        problem.textContent = register
          ? (cancelled ? 'No passkey was created: it was cancelled or took too long. Try again.' : 'This browser could not create a passkey here.')
          : (cancelled ? 'No passkey was used: it was cancelled or took too long. Try again.' : 'This browser could not use a passkey here.');
        problem.hidden = false;
        button.setAttribute('aria-describedby', problem.id);
        button.focus();
      });
    });
  });
})();
`;
