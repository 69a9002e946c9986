/**
 * Self-registration in Chromium (docs/ACCOUNTS.md "Registration"), as in development: the
 * provider has JWT_OIDC_REGISTRATION=open and no SMTP server, so the mail and its link are in
 * the log. From an application's request: "Create an account" → the form (its errors beside the
 * fields) → "Check your mail" → the sign-in refused until the address is confirmed, and a new
 * link asked for → the link from the log, in the same browser → confirm → at the application,
 * with a code that redeems. Every page passes axe-core at 375 and 1280 px under its real CSP,
 * with no console error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { landingPage, launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rp: Awaited<ReturnType<typeof landingPage>>;
let rpOrigin: string;

beforeAll(async () => {
  rp = await landingPage();
  rpOrigin = rp.origin;
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_REGISTRATION: 'open', JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }, { captureLogs: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rp?.close();
});

/** The confirmation links the mailer wrote to the log for `to`, oldest first (no SMTP_URL outside production). */
function loggedLinks(to: string): string[] {
  return provider.logs
    .filter((r) => r.event === 'mail.logged')
    .map((r) => r.mail as { to: string; subject: string; text: string })
    .filter((m) => m.to === to && m.subject.includes('Confirm your email address'))
    .map((m) => /https?:\/\/\S+\/account\/verify\/[\w-]{43}/.exec(m.text)![0]);
}

describe('registration in the browser, without a mail server', () => {
  it('"Create an account" → form → "Check your mail" → the link from the log, in the same browser → confirm → at the application with a code that redeems', async () => {
    const client = await provider.createClient({ name: 'Shop', redirectUris: [`${rpOrigin}/callback`], firstParty: true });
    const { verifier, challenge } = pkcePair();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);
    const email = `grace-${Date.now()}@example.com`;
    const username = `grace${Date.now().toString(36)}`;
    const password = 'a passphrase of my own';

    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid profile email', state: 'st-reg', code_challenge: challenge, code_challenge_method: 'S256' }));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'sign-in with "Create an account"');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await expectAccessible(page, 'registration form');

    // Two passwords that differ: the server says so beside the field, and keeps what was typed but the passwords.
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password again').fill(`${password}!`);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.locator('#confirm-error').waitFor();
    expect(await page.getByLabel('Password again').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Username').inputValue()).toBe(username);
    expect(await page.getByLabel('Email address').inputValue()).toBe(email);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await expectAccessible(page, 'registration form with an error');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password again').fill(password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await expectAccessible(page, 'check your mail');
    await expect.poll(() => loggedLinks(email).length, { timeout: 10_000 }).toBe(1);
    const link = loggedLinks(email)[0]!;

    // Meanwhile, in another tab: the password does not sign in yet; a new link can be asked for.
    const other = await context.newPage();
    const otherErrors = watchConsole(other);
    await other.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st-other', code_challenge: challenge, code_challenge_method: 'S256' }));
    await other.getByLabel('Username').fill(username);
    await other.getByLabel('Password').fill(password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByText('Confirm your email address first: we sent you a link.').waitFor();
    await expectAccessible(other, 'sign-in refused until the address is confirmed');
    await other.getByRole('link', { name: 'Send the link again' }).click();
    await other.getByRole('heading', { name: 'Send a new confirmation link' }).waitFor();
    await expectAccessible(other, 'new link form');
    await other.getByLabel('Username or email').fill(email);
    await other.getByRole('button', { name: 'Send a new link' }).click();
    await other.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await expectAccessible(other, 'new link sent');
    await expect.poll(() => loggedLinks(email).length, { timeout: 10_000 }).toBe(2);
    otherErrors.assertNone();
    await other.close();

    // The first link, in the browser that registered: its sign-in goes on.
    await page.goto(link);
    await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    expect(await page.getByText(email).count()).toBeGreaterThan(0);
    await expectAccessible(page, 'confirm the address');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.waitForURL((u) => u.origin === rpOrigin);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).toBe('st-reg');
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string };
    const userinfo = (await (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ email, email_verified: true, preferred_username: username });

    // Both links are spent now.
    await page.goto(loggedLinks(email)[1]!);
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await expectAccessible(page, 'link no longer works');
    errors.assertNone();
    await context.close();
  });
});
