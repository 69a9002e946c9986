import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consentPage, describeScope } from '../../src/interaction/views/consent.js';
import { errorPage } from '../../src/interaction/views/error.js';
import { escapeHtml, html, raw } from '../../src/interaction/views/html.js';
import { page, PAGE_CSP, PAGE_CSS, pageCsp } from '../../src/interaction/views/layout.js';
import { loginPage } from '../../src/interaction/views/login.js';
import { accountPageUrl } from '../../src/interaction/account-forms.js';
import { emailChangedPage } from '../../src/interaction/views/email-change.js';
import { accountReadyPage } from '../../src/interaction/views/invitation.js';
import { confirmEmailPage, emailConfirmedPage, registerPage, registerSentPage, resendRequestPage, resendSentPage, verifyLinkInvalidPage } from '../../src/interaction/views/registration.js';

const XSS = `<script>alert(1)</script>"onmouseover="x' & \`y`;
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=&quot;x&#39; &amp; &#96;y';

const hostile = {
  action: XSS,
  csrfToken: XSS,
  clientName: XSS,
  clientLogoUri: XSS,
  lang: XSS,
};

/** Every tag in the output, for checks that must not be fooled by text content. */
function tags(doc: string): string[] {
  return doc.match(/<[^>]*>/g) ?? [];
}

/** The attributes of the form controls, parsed from the markup (quoted values only). */
function controls(doc: string): Record<string, string>[] {
  return tags(doc)
    .filter((t) => /^<(input|button)\b/.test(t))
    .map((t) => Object.fromEntries([...t.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].slice(1).map((m) => [m[1], m[2] ?? ''])));
}

/** Asserts that a hostile value only ever appears escaped. */
function expectInert(doc: string): void {
  expect(doc).not.toMatch(/<script/i);
  expect(doc).not.toContain('"onmouseover');
  expect(doc).not.toContain("x'");
  expect(doc).not.toContain('& `');
  expect(doc).toContain(ESCAPED);
  // No attribute other than the ones we write: a broken-out quote would add one.
  for (const tag of tags(doc)) expect(tag).not.toMatch(/\sonmouseover/i);
}

const allPages = (): string[] => [
  loginPage({ action: '/interaction/abc/login', csrfToken: 't', clientName: 'App' }),
  consentPage({ action: '/interaction/abc/consent', csrfToken: 't', clientName: 'App', username: 'alice', scopes: ['openid'] }),
  errorPage({ title: 'Oops', message: 'Something went wrong.' }),
  registerPage({ action: '/account/register', csrfToken: 't', interaction: 'abc', signInUrl: '/interaction/abc', username: 'ada', email: 'ada@example.com', errors: { username: 'Taken.', form: 'Expired.' } }),
  registerSentPage({ lifetime: '24 hours', resendUrl: '/account/verify' }),
  confirmEmailPage({ action: '/account/verify/t', csrfToken: 't', username: 'ada', email: 'ada@example.com', error: 'Expired.' }),
  emailConfirmedPage(),
  verifyLinkInvalidPage({ resendUrl: '/account/verify' }),
  resendRequestPage({ action: '/account/verify', csrfToken: 't', interaction: 'abc', login: 'ada', errors: { login: 'Enter it.' } }),
  resendSentPage(),
];

describe('escapeHtml and html', () => {
  it('escapes the six dangerous characters and maps null/undefined to empty', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('escapes interpolations but not nested html or raw values', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${raw('<br>')}${'<x>'}${null}${false}${['<a>', html`<c>`]}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b><br>&lt;x&gt;&lt;a&gt;<c></p>',
    );
  });
});

describe('page layout', () => {
  it('is a complete HTML5 document with the required head elements', () => {
    const doc = page({ title: 'T', body: '<p>hi</p>' });
    expect(doc.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    for (const meta of [
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      '<meta name="referrer" content="no-referrer">',
      '<meta name="robots" content="noindex">',
    ]) {
      expect(doc).toContain(meta);
    }
    expect(doc).toContain('<title>T</title>');
    expect(doc).toContain('<main class="card">\n<p>hi</p>\n</main>');
    expect(page({ title: 'T', body: '', lang: 'fr' })).toContain('<html lang="fr">');
  });

  it('allows exactly the embedded stylesheet by its hash', () => {
    const doc = page({ title: 'T', body: '' });
    const styles = [...doc.matchAll(/<style>([\s\S]*?)<\/style>/g)];
    expect(styles).toHaveLength(1);
    const embedded = styles[0][1];
    expect(embedded).toBe(PAGE_CSS);
    const hash = createHash('sha256').update(embedded, 'utf8').digest('base64');
    expect(PAGE_CSP).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'self' https: data:; ` +
        `form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(PAGE_CSS.split('\n').length).toBeLessThan(120);
  });

  it('widens form-action to the redirect target only when asked', () => {
    expect(pageCsp()).toBe(PAGE_CSP);
    expect(pageCsp('https://app.example.com/cb?x=1')).toContain("form-action 'self' https://app.example.com;");
    expect(pageCsp('http://localhost:53111/callback')).toContain("form-action 'self' http://localhost:53111;");
    expect(pageCsp('com.example.app:/oauth2redirect')).toContain("form-action 'self' com.example.app:;");
    expect(pageCsp('http://[::1]:4000/cb')).toContain("form-action 'self' http:;");
    expect(pageCsp('javascript:alert(1)')).toBe(PAGE_CSP);
    expect(pageCsp('not a url; script-src *')).toBe(PAGE_CSP);
  });

  it('has no scripts and no external resources on any page', () => {
    for (const doc of allPages()) {
      expect(doc).not.toMatch(/<script/i);
      expect(doc).not.toMatch(/<link|@import|url\(|\son[a-z]+=/i);
      expect(doc).not.toMatch(/https?:\/\//);
    }
  });
});

describe('loginPage', () => {
  const base = { action: '/interaction/abc/login', csrfToken: 'tok-123', clientName: 'Acme' };

  it('posts exactly csrf, username and password to the action', () => {
    const doc = loginPage(base);
    expect(tags(doc).filter((t) => t.startsWith('<form'))).toEqual(['<form method="post" action="/interaction/abc/login">']);
    const named = controls(doc).filter((c) => 'name' in c);
    expect(named.map((c) => c.name)).toEqual(['csrf', 'username', 'password']);
    expect(named[0]).toMatchObject({ type: 'hidden', value: 'tok-123' });
    expect(named[1]).toMatchObject({
      type: 'text',
      id: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: '',
      maxlength: '150',
      value: '',
      autofocus: '',
    });
    expect(named[2]).toMatchObject({
      type: 'password',
      id: 'password',
      autocomplete: 'current-password',
      required: '',
      maxlength: '1024',
    });
    expect(named[2]).not.toHaveProperty('value');
    expect(doc).toContain('<label for="username">');
    expect(doc).toContain('<label for="password">');
    expect(doc).toContain('<button type="submit">Sign in</button>');
    expect(doc).toContain('to continue to <strong>Acme</strong>');
  });

  it('prefills the username and then focuses the password', () => {
    const [, username, password] = controls(loginPage({ ...base, username: 'alice' })).filter((c) => 'name' in c);
    expect(username.value).toBe('alice');
    expect(username).not.toHaveProperty('autofocus');
    expect(password).toHaveProperty('autofocus');
  });

  it('shows an error as an alert only when given', () => {
    expect(loginPage(base)).not.toContain('role="alert"');
    expect(loginPage({ ...base, error: 'Wrong username or password.' })).toContain(
      '<p class="error" role="alert">Wrong username or password.</p>',
    );
  });

  it('shows the client logo only when given', () => {
    expect(loginPage(base)).not.toContain('<img');
    expect(loginPage({ ...base, clientLogoUri: null })).not.toContain('<img');
    expect(loginPage({ ...base, clientLogoUri: 'https://acme.example/logo.png' })).toContain(
      '<img class="logo" src="https://acme.example/logo.png" alt="Acme"',
    );
  });

  it('escapes every dynamic value', () => {
    const doc = loginPage({ ...hostile, username: XSS, error: XSS });
    expectInert(doc);
    // action, csrf, client name (text, alt, title), logo, username, error, lang
    expect(doc.split(ESCAPED).length - 1).toBeGreaterThanOrEqual(8);
    expect(doc).toContain(`<html lang="${ESCAPED}">`);
    expect(doc).toContain(`<form method="post" action="${ESCAPED}">`);
    expect(doc).toContain(`name="csrf" value="${ESCAPED}"`);
    expect(doc).toContain(`src="${ESCAPED}" alt="${ESCAPED}"`);
    expect(doc).toContain(`name="username" value="${ESCAPED}"`);
    expect(doc).toContain(`<title>Sign in – ${ESCAPED}</title>`);
  });
});

describe('registration pages', () => {
  it('the sign-in page links "Create an account" and, beside a refusal, "Send the link again", only when given', () => {
    const base = { action: '/interaction/abc/login', csrfToken: 't', clientName: 'Acme' };
    expect(loginPage(base)).not.toContain('Create an account');
    expect(loginPage({ ...base, registerUrl: '/account/register?interaction=abc' })).toContain('<a href="/account/register?interaction=abc">Create an account</a>');
    expect(loginPage({ ...base, error: 'Confirm first.', resendUrl: '/account/verify?interaction=abc' })).toContain('<p class="error" role="alert">Confirm first.</p><p><a href="/account/verify?interaction=abc">Send the link again</a></p>');
  });

  it('posts csrf, interaction, username, email and both passwords; keeps the typed values but never a password; each error beside its field', () => {
    const doc = registerPage({ action: '/account/register', csrfToken: 't', interaction: 'abc', username: 'ada', email: 'ada@example.com', errors: { email: 'Must be an email address.' } });
    const named = controls(doc).filter((c) => 'name' in c);
    expect(named.map((c) => c.name)).toEqual(['csrf', 'interaction', 'username', 'email', 'password', 'confirm']);
    expect(named[2]).toMatchObject({ value: 'ada', autocomplete: 'username' });
    expect(named[3]).toMatchObject({ type: 'email', value: 'ada@example.com', autocomplete: 'email', 'aria-invalid': 'true', 'aria-describedby': 'email-error', autofocus: '' });
    expect(named[4]).toMatchObject({ type: 'password', autocomplete: 'new-password', minlength: '8' });
    expect(named[4]).not.toHaveProperty('value');
    expect(named[5]).not.toHaveProperty('value');
    expect(named[2]).not.toHaveProperty('autofocus');
    expect(doc).toContain('<p class="error" id="email-error">Must be an email address.</p>');
  });

  it('escapes every dynamic value', () => {
    const doc = registerPage({ action: XSS, csrfToken: XSS, interaction: XSS, signInUrl: XSS, username: XSS, email: XSS, errors: { username: XSS, form: XSS } });
    expectInert(doc);
    expectInert(confirmEmailPage({ action: XSS, csrfToken: XSS, username: XSS, email: XSS, error: XSS }));
    expectInert(resendRequestPage({ action: XSS, csrfToken: XSS, interaction: XSS, login: XSS, errors: { login: XSS } }));
  });
});

describe('the pages that end at the account page', () => {
  it('link to it only while JWT_OIDC_ACCOUNT_PAGE is on', () => {
    const on = accountPageUrl({ issuer: 'https://id.example/auth/', settings: { accountPage: true } as never });
    expect(on).toBe('https://id.example/auth/account');
    expect(accountPageUrl({ issuer: 'https://id.example', settings: { accountPage: false } as never })).toBeUndefined();
    expect(emailChangedPage({ email: 'a@example.org', accountUrl: on })).toContain('<a href="https://id.example/auth/account">Back to your account</a>');
    expect(emailChangedPage({ email: 'a@example.org' })).not.toContain('<a ');
    expect(accountReadyPage({ username: 'ada', accountUrl: on })).toContain('<a href="https://id.example/auth/account">your account page</a>');
    expect(accountReadyPage({ username: 'ada' })).not.toContain('<a ');
    expect(accountReadyPage({ username: 'ada' })).toContain('at the application you were invited to.</p>');
  });
});

describe('consentPage', () => {
  const base = {
    action: '/interaction/abc/consent',
    csrfToken: 'tok-456',
    clientName: 'Acme',
    username: 'alice',
    scopes: ['openid', 'profile', 'email'],
  };

  it('names the client and the account and lists the scopes in plain words', () => {
    const doc = consentPage(base);
    expect(doc).toContain('<h1>Acme wants to access your account</h1>');
    expect(doc).toContain('Signed in as <strong>alice</strong>');
    expect(doc).toContain('<li>Confirm your identity</li>');
    expect(doc).toContain('<li>See your name, username, picture and language</li>');
    expect(doc).toContain('<li>Your email address</li>');
    expect(doc).not.toContain('class="scope-danger"');
  });

  it('posts csrf and an allow or deny decision to the action', () => {
    const doc = consentPage(base);
    expect(tags(doc).filter((t) => t.startsWith('<form'))).toEqual(['<form method="post" action="/interaction/abc/consent">']);
    const named = controls(doc).filter((c) => 'name' in c);
    expect(named.map((c) => [c.name, c.value])).toEqual([
      ['csrf', 'tok-456'],
      ['decision', 'allow'],
      ['decision', 'deny'],
    ]);
    expect(doc).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(doc).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
  });

  it('highlights the admin scope as a warning', () => {
    const doc = consentPage({ ...base, scopes: ['openid', 'admin'] });
    expect(doc).toMatch(/<li class="scope-danger">[^<]*Administer this identity provider \(full control\)<\/li>/);
    expect(doc.match(/class="scope-danger"/g)).toHaveLength(1);
  });

  it('shows the client logo only when given', () => {
    expect(consentPage(base)).not.toContain('<img');
    expect(consentPage({ ...base, clientLogoUri: 'https://acme.example/logo.png' })).toContain(
      '<img class="logo" src="https://acme.example/logo.png" alt="Acme"',
    );
  });

  it('escapes every dynamic value, including unknown scopes', () => {
    const doc = consentPage({ ...hostile, username: XSS, scopes: [XSS, 'openid'] });
    expectInert(doc);
    expect(doc).toContain(`<h1>${ESCAPED} wants to access your account</h1>`);
    expect(doc).toContain(`Signed in as <strong>${ESCAPED}</strong>`);
    expect(doc).toContain(`<li>Access “${ESCAPED}”</li>`);
    expect(doc).toContain(`name="csrf" value="${ESCAPED}"`);
    expect(doc).toContain(`<form method="post" action="${ESCAPED}">`);
  });
});

describe('describeScope', () => {
  it('describes the standard scopes and quotes unknown ones as plain text', () => {
    expect(describeScope('openid')).toBe('Confirm your identity');
    expect(describeScope('profile')).toBe('See your name, username, picture and language');
    expect(describeScope('email')).toBe('Your email address');
    expect(describeScope('address')).toBe('Your postal address');
    expect(describeScope('phone')).toBe('Your phone number');
    expect(describeScope('offline_access')).toBe('Stay connected when you are not using it');
    expect(describeScope('admin')).toBe('Administer this identity provider (full control)');
    expect(describeScope('read:things')).toBe('Access “read:things”');
    expect(describeScope('constructor')).toBe('Access “constructor”');
    expect(describeScope('<b>')).toBe('Access “<b>”');
  });
});

describe('errorPage', () => {
  it('shows a heading and a message', () => {
    const doc = errorPage({ title: 'Request not valid', message: 'The link has expired.' });
    expect(doc).toContain('<title>Request not valid</title>');
    expect(doc).toContain('<h1>Request not valid</h1>');
    expect(doc).toContain('<p class="sub">The link has expired.</p>');
  });

  it('escapes the title and the message', () => {
    const doc = errorPage({ title: XSS, message: XSS, lang: XSS });
    expectInert(doc);
    expect(doc).toContain(`<title>${ESCAPED}</title>`);
    expect(doc).toContain(`<h1>${ESCAPED}</h1>`);
    expect(doc).toContain(`<p class="sub">${ESCAPED}</p>`);
  });
});
