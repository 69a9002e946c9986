/**
 * The account page (docs/ACCOUNTS.md "The account page") in Chromium against a real provider:
 * signing in through the provider's login page, the profile, the password (a wrong current one
 * beside its field, too many of them, then the right one ending the other browser's session),
 * the sessions (another browser signed out), the connected applications (a third-party app's
 * access removed: its refresh token refused at /token and its access token at /userinfo at
 * once). Every view and state passes axe-core at 375 and 1280 px under the page's real CSP,
 * dialogs open and errors shown included, with no browser error. Screenshots for docs/account/.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { ACCOUNT_SCREENSHOT_DIR, heading, openAccount, screenshots, signInOnProviderPage } from '../support/console.js';
import { startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let provider: TestProvider;
let browser: Browser;
let smtp: TestSmtpServer;
const scratch = mkdtempSync(join(tmpdir(), 'jwt-oidc-account-shots-'));

beforeAll(async () => {
  smtp = await startSmtpServer();
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity', JWT_OIDC_SMTP_URL: smtp.url }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  await smtp?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The account page, loaded and shown (its heading is there while it loads too). */
async function shown(page: Page): Promise<void> {
  await heading(page, 'Your account');
  await page.getByRole('heading', { level: 2, name: 'Connected applications' }).waitFor();
}

/** The field's error, as assistive technology reads it: the text its aria-describedby names. */
async function describedError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  await expect.poll(() => field.getAttribute('aria-invalid'), { message: label }).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ');
  const error = ids.find((id) => id.endsWith('-error'));
  expect(error, label).toBeDefined();
  return page.locator(`[id="${error}"]`).innerText();
}

/** The provider's sign-in page, once the browser is there. */
async function atSignIn(page: Page): Promise<void> {
  await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
}

const sessionItems = (page: Page) => page.getByRole('list', { name: 'Sessions' }).locator(':scope > li');
const appItems = (page: Page) => page.getByRole('list', { name: 'Connected applications' }).locator(':scope > li');

describe('signing in to the account page', () => {
  it('AP-01 a user who is not signed in is sent to sign in and comes back; tokens stay in memory; Sign out ends the provider session', async () => {
    const user = await provider.createUser({ givenName: 'Grace', familyName: 'Hopper' });
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.title()).toBe('Acme Identity · Your account');
    expect(await page.locator('.brand').innerText()).toBe('Acme Identity');
    expect(await page.locator('.who strong').innerText()).toBe(user.username);
    expect(await page.getByLabel('Given name').inputValue()).toBe('Grace');
    await page.getByText(`${user.username}@example.com`).waitFor();
    // The account page is the user's own way in, not an application to remove.
    await page.getByText('No application has access to your account.').waitFor();
    expect(await sessionItems(page).count()).toBe(1);
    expect(await sessionItems(page).first().innerText()).toMatch(/Chrome on Linux\s*This browser/);
    await expectAccessible(page, 'account page');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'account page, dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // No token in any URL or storage: the tokens live in memory (the page's module state).
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toMatch(/eyJ/);
    expect(page.url()).not.toMatch(/code=|token/);

    // RP-initiated logout with the ID token as hint: the provider's session ends without a
    // question, and the page, back at /account/, must sign in anew.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await atSignIn(page);
    await page.goto(`${provider.issuer}/account`);
    await atSignIn(page);
    console.assertNone();
    await context.close();
  });
});

describe('the profile', () => {
  it('a refused value is said beside its field; a saved profile is there after a reload', async () => {
    const user = await provider.createUser();
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    expect(await page.getByLabel('Username').count()).toBe(0);

    // Checked in the page: said beside the field, which takes the focus.
    await page.getByLabel('Language').fill('not a tag!');
    await page.getByRole('button', { name: 'Save profile' }).click();
    expect(await describedError(page, 'Language')).toBe('Use a language tag, such as en or pt-BR.');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('locale');
    // Refused by the server (BAD_USER_INPUT with extensions.field): beside that field too.
    await page.getByLabel('Language').fill('en-GB');
    await page.getByLabel('Given name').fill('A'.repeat(300));
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.locator('[aria-invalid="true"]').waitFor();
    expect(await describedError(page, 'Given name')).toMatch(/255/);
    await expectAccessible(page, 'profile refused');

    await page.getByLabel('Given name').fill('Ada');
    await page.getByLabel('Family name').fill('Lovelace');
    await page.getByLabel('Picture URL').fill('https://pictures.example/ada.png');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(0);

    await page.reload();
    await shown(page);
    expect(await page.getByLabel('Given name').inputValue()).toBe('Ada');
    expect(await page.getByLabel('Family name').inputValue()).toBe('Lovelace');
    expect(await page.getByLabel('Language').inputValue()).toBe('en-GB');
    expect(await page.getByLabel('Picture URL').inputValue()).toBe('https://pictures.example/ada.png');
    console.assertNone();
    await context.close();
  });
});

describe('the profile picture', () => {
  it('AP-04 a picture URL on another host is shown as text, never fetched: the page\'s policy allows no image from elsewhere', async () => {
    let fetched = 0;
    const pictures = createServer((_req, res) => {
      fetched++;
      res.writeHead(200, { 'content-type': 'image/gif' }).end();
    });
    await new Promise<void>((r) => pictures.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(pictures.address() as AddressInfo).port}/pixel.gif`;
    try {
      const user = await provider.createUser({ picture: url });
      const { context, page, console } = await openAccount(browser, provider, user);
      await shown(page);
      expect(await page.getByLabel('Picture URL').inputValue()).toBe(url);
      console.assertNone();
      // Even an image put into the page by a script is refused by the browser.
      const violated = await page.evaluate(
        (src) =>
          new Promise<string>((resolve) => {
            document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
            const img = new Image();
            img.src = src;
            document.body.append(img);
          }),
        url,
      );
      expect(violated).toBe('img-src');
      expect(fetched).toBe(0);
      await context.close();
    } finally {
      pictures.close();
    }
  });
});

describe('the email address', () => {
  it('EC-01 a new address: the form (a wrong password beside its field), the link mailed there, its page in the browser, then the page shows it confirmed', async () => {
    const user = await provider.createUser();
    const old = `${user.username}@example.com`;
    const next = `${user.username}@example.org`;
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    await page.getByRole('button', { name: 'Change email address' }).click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email');
    await expectAccessible(page, 'email change form');

    // Checked in the page, then by the server: each beside its field, which takes the focus.
    await page.getByRole('button', { name: 'Send the link' }).click();
    expect(await describedError(page, 'New email address')).toBe('Enter the new address.');
    await page.getByLabel('New email address').fill(next);
    await page.getByLabel('Current password').last().fill('not my password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expect.poll(() => page.getByRole('form', { name: 'Change email address' }).getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('currentPassword');
    await expectAccessible(page, 'email change refused');

    await page.getByRole('form', { name: 'Change email address' }).getByLabel('Current password').fill(user.password);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').filter({ hasText: `Check your mail at ${next}` }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Change email address');
    await expectAccessible(page, 'email change asked');
    // Nothing changes until the new address confirms it.
    await page.reload();
    await shown(page);
    await page.getByText(old).waitFor();

    const mail = await smtp.waitForMail((m) => m.to.includes(next) && m.subject.includes('Confirm your new email address'), 10_000);
    const link = /https?:\/\/\S+\/account\/email\/[\w-]{43}/.exec(mail.text)![0];
    await page.goto(link);
    await page.getByRole('heading', { name: 'Confirm your new email address' }).waitFor();
    await expectAccessible(page, 'email change link');
    await page.getByRole('button', { name: 'Use this address' }).click();
    await page.getByRole('heading', { name: 'Email address changed' }).waitFor();
    await expectAccessible(page, 'email changed');
    const notice = await smtp.waitForMail((m) => m.to.includes(old) && m.subject.includes('The email address of your account changed'), 10_000);
    expect(notice.text).toContain(next);

    await page.getByRole('link', { name: 'Back to your account' }).click();
    await shown(page);
    await page.locator('.account-address').filter({ hasText: next }).waitFor();
    expect(await page.locator('.account-email .badge').innerText()).toBe('Confirmed');
    console.assertNone();
    await context.close();
  });
});

describe('the password', () => {
  it('a wrong current password is said beside its field; the right one changes it and signs the other browser out; the old one no longer signs in', async () => {
    const user = await provider.createUser();
    const other = await openAccount(browser, provider, user);
    await shown(other.page);
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);

    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
    await page.getByLabel('New password again').fill('a brand new passphrase');
    expect(await page.getByLabel('Sign me out everywhere else').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('[aria-invalid="true"]').waitFor();
    expect(await describedError(page, 'Current password')).toBe('This is not your current password.');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('currentPassword');
    await expectAccessible(page, 'password: wrong current one');

    // New passwords that differ are said before anything is sent.
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password again').fill('a brand new passphrasE');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await describedError(page, 'New password again')).toMatch(/differ/);

    await page.getByLabel('New password again').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');
    await expectAccessible(page, 'password changed');

    // The other browser's session has ended: its next visit signs in again, where the old
    // password no longer works and the new one does.
    await other.page.reload();
    await atSignIn(other.page);
    await signInOnProviderPage(other.page, user);
    await other.page.getByText('Incorrect username or password.').waitFor();
    await signInOnProviderPage(other.page, { username: user.username, password: 'a brand new passphrase' });
    await shown(other.page);
    // This browser kept its session and grant: its page still works after a reload.
    await page.reload();
    await shown(page);
    console.assertNone();
    other.console.assertNone();
    await Promise.all([context.close(), other.context.close()]);
  });

  it('too many wrong current passwords are refused with the wait, the right one too', async () => {
    const user = await provider.createUser();
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    await page.getByLabel('New password', { exact: true }).fill('another new passphrase');
    await page.getByLabel('New password again').fill('another new passphrase');
    // LOGIN_FAILURE_LIMIT (5) wrong ones, each said beside the field.
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Current password').fill(`wrong password ${i}`);
      await Promise.all([page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Change password' }).click()]);
      expect(await describedError(page, 'Current password')).toBe('This is not your current password.');
    }
    await page.getByLabel('Current password').fill(user.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Too many wrong passwords.' });
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/^Too many wrong passwords\. Try again in \d+ (minutes?|seconds?)\.$/);
    await expectAccessible(page, 'password: throttled');
    console.assertNone();
    await context.close();
  });
});

describe('the sessions', () => {
  it('lists both browsers, this one marked; signing the other one out (after a confirmation) ends its session', async () => {
    const user = await provider.createUser();
    const other = await openAccount(browser, provider, user);
    await shown(other.page);
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    const items = sessionItems(page);
    expect(await items.count()).toBe(2);
    const mine = items.filter({ hasText: 'This browser' });
    expect(await mine.count()).toBe(1);
    expect(await mine.getByRole('button').count()).toBe(0);
    const theirs = items.filter({ hasNotText: 'This browser' });
    expect(await theirs.innerText()).toMatch(/Chrome on Linux[\s\S]*Address\s*\S+[\s\S]*Signed in/);

    await theirs.getByRole('button', { name: /^Sign out Chrome on Linux/ }).click();
    const dialog = page.getByRole('dialog', { name: /^Sign out Chrome on Linux/ });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('That browser must sign in again.');
    await expectAccessible(page, 'sign out a session: the confirmation');
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').filter({ hasText: 'that browser must sign in again' }).waitFor();
    await expect.poll(() => items.count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('account-sessions');
    await expectAccessible(page, 'a session signed out');

    await other.page.reload();
    await atSignIn(other.page);
    console.assertNone();
    other.console.assertNone();
    await Promise.all([context.close(), other.context.close()]);
  });
});

describe('the connected applications', () => {
  it('AP-02 a third-party app the user consented to is listed; "Remove access" ends its refresh and access tokens at once', async () => {
    const user = await provider.createUser({ givenName: 'Ada', familyName: 'Lovelace', locale: 'en-GB' });
    const shop = await provider.createClient({ name: 'Acme Shop', clientUri: 'https://shop.acme.example', redirectUris: ['https://shop.acme.example/callback'] });
    // A real code flow with the consent page, as the shop's users go through it.
    const tokens = await tokensFor(provider, shop, user, 'openid profile email offline_access');
    expect(tokens.refresh_token).toBeTruthy();
    expect((await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);

    const other = await openAccount(browser, provider, user);
    const { context, page, console } = await openAccount(browser, provider, user);
    await shown(page);
    const apps = appItems(page);
    expect(await apps.count()).toBe(1);
    const app = apps.first();
    expect(await app.getByRole('link', { name: 'Acme Shop' }).getAttribute('href')).toBe('https://shop.acme.example');
    expect(await app.locator('.account-scopes li').allInnerTexts()).toEqual(['Your email address', 'Stay connected when you are not using it', 'Confirm your identity', 'See your name, username, picture and language']);
    expect(await app.innerText()).toMatch(/Since[\s\S]*Last used/);
    expect(await page.locator('main').innerText()).not.toMatch(/Account page|Admin console/);
    await expectAccessible(page, 'account page with an application and two sessions');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'account page with an application and two sessions, dark');
    await page.emulateMedia({ colorScheme: 'light' });
    const shots = await screenshots(page, 'account', scratch, ACCOUNT_SCREENSHOT_DIR);
    expect(shots).toHaveLength(4);
    for (const file of shots) expect(statSync(file).size, file).toBeGreaterThan(5_000);

    await app.getByRole('button', { name: 'Remove access for Acme Shop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove access for Acme Shop?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Acme Shop can no longer use your account');
    await expectAccessible(page, 'remove access: the confirmation');
    await screenshots(page, 'account-remove', scratch, ACCOUNT_SCREENSHOT_DIR);
    await dialog.getByRole('button', { name: 'Remove access' }).click();
    await page.getByRole('status').filter({ hasText: 'Acme Shop no longer has access to your account.' }).waitFor();
    await page.getByText('No application has access to your account.').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('account-apps');

    // At once: the refresh token is refused at /token, the access token at /userinfo.
    const refreshed = await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, shop);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    await expectAccessible(page, 'access removed');
    console.assertNone();
    other.console.assertNone();
    await Promise.all([context.close(), other.context.close()]);
  });
});
