/**
 * Setting up a second factor during a sign-in (docs/ACCOUNTS.md "Two-step sign-in", "The
 * policy"): the page lists the ways to set one up, each its own section with its own form — an
 * authenticator app (TOTP), and a passkey. Then the recovery codes, shown once, and "Continue".
 * Posted with the interaction's CSRF token. The app's section needs no script; the passkey's is
 * hidden until the passkey script (served by the issuer, `script-src 'self'`: views/passkey.ts)
 * runs and finds WebAuthn. The QR code is an image of the SVG as a `data:` URL, which the pages'
 * `img-src` allows.
 */
import { html, type Raw } from './html.js';
import { page } from './layout.js';
import { passkeyFormOnly, type PasskeyOffer } from './passkey.js';

/** The authenticator-app section: the QR code, the key as text, and the form for a first code. */
export function totpMethod(v: { action: string; csrfToken: string; qrSvg: string; secret: string; error?: string }): Raw {
  const image = `data:image/svg+xml;base64,${Buffer.from(v.qrSvg, 'utf8').toString('base64')}`;
  // Four characters at a time, as apps show and ask for them.
  const key = v.secret.replace(/(.{4})(?=.)/g, '$1 ');
  return html`<section aria-labelledby="totp-heading">
<h2 id="totp-heading">Authenticator app</h2>
<p>Scan this QR code with an authenticator app on your phone.</p>
<p><img src="${image}" alt="QR code of the key for your authenticator app" width="200" height="200"></p>
<p>Or type this key into the app: <code id="totp-secret">${key}</code></p>
<form method="post" action="${v.action}">
<input type="hidden" name="csrf" value="${v.csrfToken}">
<input type="hidden" name="method" value="totp">
<label for="code">Code from the app</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required maxlength="10"${v.error ? html` aria-invalid="true" aria-describedby="code-error"` : ''}>
<button type="submit">Turn on</button>
</form>
</section>`;
}

/** The passkey section: hidden until the script shows it (a browser with WebAuthn), then one button. */
export function passkeyMethod(offer: PasskeyOffer): Raw {
  return html`<section aria-labelledby="passkey-heading" data-passkey hidden>
<h2 id="passkey-heading">Use a passkey</h2>
<p>Instead of an app: a passkey on this device (unlocked with its screen lock), on your phone or on a security key.</p>
${passkeyFormOnly(offer)}
</section>`;
}

export function enrolmentPage(v: {
  clientName: string;
  /** Why: the service's policy, or this application's. */
  requiredBy: 'service' | 'client';
  /** The ways to set up a factor, each a section (totpMethod, passkeyMethod). */
  methods: Raw[];
  error?: string;
  lang?: string;
  /** The passkey scripts' URLs, when the page offers a passkey. */
  scripts?: readonly string[];
}): string {
  const why = v.requiredBy === 'client' ? html`<strong>${v.clientName}</strong> asks for` : 'This service asks for';
  const body = html`<h1>Set up two-step sign-in</h1>
<p class="sub">to continue to <strong>${v.clientName}</strong></p>
<p>${why} a second step at every sign-in, besides your password. Set it up once now.</p>
${v.error ? html`<p class="error" role="alert" id="code-error">${v.error}</p>` : ''}${v.methods}`;
  return page({ title: `Set up two-step sign-in – ${v.clientName}`, body: body.value, lang: v.lang, scripts: v.scripts });
}

/** The recovery codes of the new factor (`kind`), shown this once; "Continue" goes on with the sign-in. */
export function recoveryCodesPage(v: { clientName: string; codes: string[]; continueUrl?: string; kind?: 'totp' | 'passkey'; lang?: string }): string {
  const passkey = v.kind === 'passkey';
  const next = v.continueUrl
    ? html`<form method="get" action="${v.continueUrl}">
<button type="submit">Continue</button>
</form>`
    : html`<p class="error" role="alert">This sign-in request expired meanwhile. Go back to the application and sign in again, with ${passkey ? 'your passkey' : 'the code of your app'}.</p>`;
  const lost = passkey ? 'If you lose your passkey, each of these codes signs you in once instead of it.' : "If you lose your phone, each of these codes signs you in once instead of the app's code.";
  const body = html`<h1>Save your recovery codes</h1>
<p class="sub">to continue to <strong>${v.clientName}</strong></p>
<p>Two-step sign-in is on. ${lost} Keep them somewhere safe: they are shown only now.</p>
<ol aria-label="Recovery codes">
${v.codes.map((c) => html`<li><code>${c}</code></li>
`)}
</ol>
${next}`;
  return page({ title: `Recovery codes – ${v.clientName}`, body: body.value, lang: v.lang });
}
