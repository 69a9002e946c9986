/**
 * Password reset in Chromium (docs/ACCOUNTS.md): from the sign-in page of an application's
 * request, "Forgot your password?" → the mail (a real SMTP server on loopback) → its link in the
 * same browser → a new password → signed in at the application, which gets its code. Every page
 * passes axe-core at 375 and 1280 px under its real CSP, with no console error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { landingPage, launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let provider: TestProvider;
let smtp: TestSmtpServer;
let browser: Browser;
let rp: Awaited<ReturnType<typeof landingPage>>;
let rpOrigin: string;

beforeAll(async () => {
  rp = await landingPage();
  rpOrigin = rp.origin;
  smtp = await startSmtpServer();
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  await smtp?.close();
  rp?.close();
});

describe('password reset in the browser', () => {
  it('forgot password → mail → link → new password → signed in at the application', async () => {
    const user = await provider.createUser({ email: 'ada@example.com' });
    const client = await provider.createClient({ name: 'Shop', redirectUris: [`${rpOrigin}/callback`], firstParty: true });
    const { verifier, challenge } = pkcePair();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);

    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid profile', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' }));
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await expectAccessible(page, 'reset request');
    await page.getByLabel('Username or email').fill('ada@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await expectAccessible(page, 'reset sent');

    const mail = await smtp.waitForMail((m) => m.to.includes('ada@example.com'), 10_000);
    const link = /https?:\/\/\S+\/account\/password-reset\/[\w-]{43}/.exec(mail.text)![0];
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await expectAccessible(page, 'new password');
    // Too short is stopped by the browser (minlength, the server's own rule); two that differ by the server.
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('New password again').fill('a brand new passphrase!');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.locator('#confirm-error').waitFor();
    expect(await page.getByLabel('New password again').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'new password with an error');
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('New password again').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Set the new password' }).click();

    // Signed in: the application's request completes with a code that redeems.
    await page.waitForURL((u) => u.origin === rpOrigin);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).toBe('st-1');
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
    expect(res.status).toBe(200);

    // The link is spent.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await expectAccessible(page, 'link no longer works');
    errors.assertNone();
    await context.close();
  });
});
