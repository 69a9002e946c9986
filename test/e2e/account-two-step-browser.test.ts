/**
 * The account page's "Two-step sign-in" (console/src/account/TwoStepSection.tsx) in Chromium
 * against a real provider: adding an authenticator app — a wrong current password beside its
 * field, the QR code shown as a data: image under the page's CSP with the key in text, a code of
 * that key, the recovery codes shown once — then removing it with the password. Every step
 * passes axe-core at 375 and 1280 px, with no browser error.
 */
import { generateSync } from 'otplib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openAccount } from '../support/console.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;

beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

describe('two-step sign-in on the account page', () => {
  it('adds an authenticator app (password, QR code and key, a code, recovery codes) and removes it', async () => {
    const user = await provider.createUser();
    const { context, page, console } = await openAccount(browser, provider, user);
    await heading(page, 'Your account');
    const section = page.locator('section[aria-labelledby="account-two-step"]');
    await section.getByText('No authenticator app yet.').waitFor();

    await section.getByRole('button', { name: 'Add an authenticator app' }).click();
    const passwordForm = section.getByRole('form', { name: 'Add an authenticator app' });
    await passwordForm.getByLabel('Current password').fill('not the password');
    await passwordForm.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => passwordForm.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await section.getByText('This is not your current password.').waitFor();
    await expectAccessible(page, 'two-step: wrong password');

    await passwordForm.getByLabel('Current password').fill(user.password);
    await passwordForm.getByRole('button', { name: 'Continue' }).click();
    const qr = section.getByRole('img', { name: 'QR code of the key for your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    // The image was drawn: the page's policy let the data: URL through.
    await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await section.locator('.account-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expectAccessible(page, 'two-step: scan');

    const confirmForm = section.getByRole('form', { name: 'Confirm the authenticator app' });
    await confirmForm.getByLabel('Code from the app').fill(generateSync({ secret }));
    await confirmForm.getByLabel('Name').fill('Pixel');
    await confirmForm.getByRole('button', { name: 'Turn on' }).click();
    const codes = section.getByRole('list', { name: 'Recovery codes' }).locator('li');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await section.getByRole('button', { name: 'Copy the codes' }).click();
    await section.getByText(/Copied\.|Copying is not allowed here/).waitFor();
    await expectAccessible(page, 'two-step: recovery codes');
    await section.getByRole('button', { name: 'I have saved them' }).click();

    const apps = section.getByRole('list', { name: 'Authenticator apps' }).locator(':scope > li');
    await apps.first().waitFor();
    expect(await apps.first().locator('h3').innerText()).toBe('Pixel');
    await expectAccessible(page, 'two-step: one app');

    await section.getByRole('button', { name: 'Remove Pixel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove Pixel?' });
    await dialog.getByLabel('Current password').fill(user.password);
    await expectAccessible(page, 'two-step: remove dialog');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await section.getByText('No authenticator app yet.').waitFor();
    await section.getByText('Removed Pixel.', { exact: false }).waitFor();
    console.assertNone();
    await context.close();
  });
});
