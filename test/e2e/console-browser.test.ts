/**
 * The admin console (docs/CONSOLE.md) in Chromium against a real provider: signing in through
 * the provider's own code flow with PKCE, the shell and the overview, a user who is not an
 * administrator, a session that ends while a form is open. Every page passes axe-core at 375
 * and 1280 px under the console's real CSP, with no console error.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openConsole, screenshots, signInOnProviderPage } from '../support/console.js';
import { adminUserTokens, gql, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'jwt-oidc-console-shots-'));

beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('signing in to the console', () => {
  it('SE-19 an administrator signs in with the code flow and PKCE, sees the overview, and signs out', async () => {
    const admin = await provider.createUser({ admin: true });
    const requests: URL[] = [];
    const { context, page, console } = await openConsole(browser, provider, admin);
    page.on('request', (r) => requests.push(new URL(r.url())));
    await heading(page, 'Overview');
    expect(await page.title()).toBe('Acme Identity · Admin console');
    expect(await page.locator('.who strong').innerText()).toBe(admin.username);
    // The counts are the API's.
    const users = (await gql(provider, '{ overview { users } }', undefined, undefined)).body;
    expect(users.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await expect(page.locator('.count', { hasText: 'Users' }).locator('dd').innerText()).resolves.toMatch(/^\d+$/);
    await expectAccessible(page, 'overview');
    const shots = await screenshots(page, 'overview', scratch);
    expect(shots).toHaveLength(4);
    for (const file of shots) expect(statSync(file).size, file).toBeGreaterThan(5_000);

    // No token in any URL or storage: the tokens live in memory (the page's module state).
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toMatch(/eyJ/);
    expect(page.url()).not.toMatch(/code=|token/);

    // RP-initiated logout with the ID token as hint: the provider's session ends without a
    // question, and the console, back at /admin/, must sign in anew.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Password').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    console.assertNone();
    await context.close();
  });

  it('a user without the admin flag sees who they are and a sign-out button, nothing else', async () => {
    const user = await provider.createUser({ admin: false });
    const { context, page, console } = await openConsole(browser, provider, user);
    await heading(page, 'Not an administrator');
    await expect(page.getByText(`You are signed in as ${user.username}, who is not an administrator`).count()).resolves.toBe(1);
    await expect(page.getByRole('navigation').count()).resolves.toBe(0);
    await expect(page.getByRole('button').allInnerTexts()).resolves.toEqual(['Sign out']);
    await expectAccessible(page, 'not an administrator');
    console.assertNone();
    await context.close();
  });

  it('a deep link survives the sign-in: /admin/keys comes back to the keys page', async () => {
    const admin = await provider.createUser({ admin: true });
    const { context, page, console } = await openConsole(browser, provider, admin, '/keys');
    await heading(page, /keys/i);
    expect(new URL(page.url()).pathname).toBe('/admin/keys');
    console.assertNone();
    await context.close();
  });
});

describe('the first run', () => {
  it('/admin on a provider without administrator leads to the setup page; the administrator made there signs in to the console', async () => {
    const fresh = await startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity' });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = watchConsole(page);
      await page.goto(`${fresh.issuer}/admin`);
      await page.waitForURL((u) => u.pathname === '/admin/setup');
      await page.getByLabel('Username').fill('grace.hopper');
      await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
      await page.getByLabel('Password again').fill('correct horse battery staple');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.getByRole('heading', { name: 'Administrator created' }).waitFor();
      await page.getByRole('link', { name: 'Open the admin console' }).click();
      await signInOnProviderPage(page, { username: 'grace.hopper', password: 'correct horse battery staple' });
      await heading(page, 'Overview');
      // The setup page is gone for good.
      expect((await fetch(`${fresh.issuer}/admin/setup`)).status).toBe(404);
      errors.assertNone();
      await context.close();
    } finally {
      await fresh.close();
    }
  });
});

describe('when the connection or the session is lost', () => {
  /** The console's user page open at "Create a user", with a username typed. */
  async function typing(username: string) {
    const admin = await provider.createUser({ admin: true });
    const visit = await openConsole(browser, provider, admin, '/users');
    await heading(visit.page, 'Users');
    await visit.page.getByRole('button', { name: 'New user' }).click();
    await visit.page.getByLabel('Username').fill(username);
    await visit.page.getByLabel('Email').fill(`${username}@example.com`);
    return { ...visit, admin };
  }

  it('a lost connection is said as such and the form keeps what was typed; back online, the same button creates the user', async () => {
    const { context, page } = await typing('katherine.johnson');
    await context.setOffline(true);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('alert').filter({ hasText: 'cannot be reached' }).waitFor();
    expect(await page.getByLabel('Username').inputValue()).toBe('katherine.johnson');
    expect(await page.getByLabel('Email').inputValue()).toBe('katherine.johnson@example.com');
    await expectAccessible(page, 'create user, offline');
    await context.setOffline(false);
    await page.getByRole('button', { name: 'Create user' }).click();
    await heading(page, 'katherine.johnson');
    await context.close();
  });

  it('an ended session (its grant revoked) asks to sign in again in a small window, and the page keeps what was typed', async () => {
    const { context, page, console, admin } = await typing('dorothy.vaughan');
    // Another administrator revokes the console's grant: its access and refresh tokens die.
    const { tokens } = await adminUserTokens(provider);
    const grants = await gql(provider, 'query ($u: ID!) { grants(userId: $u) { id clientId active } }', { u: admin.id }, tokens.access_token);
    const consoleGrants = (grants.body.data.grants as { id: string; clientId: string; active: boolean }[]).filter((g) => g.clientId === 'jwt-oidc-console' && g.active);
    expect(consoleGrants).toHaveLength(1);
    const revoked = await gql(provider, 'mutation ($id: ID!) { revokeGrant(id: $id) { id } }', { id: consoleGrants[0]!.id }, tokens.access_token);
    expect(revoked.body.errors).toBeUndefined();

    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
    await dialog.waitFor();
    await expectAccessible(page, 'session ended');
    const popup = context.waitForEvent('page');
    await dialog.getByRole('button', { name: 'Sign in again' }).click();
    const signIn = await popup;
    // The provider's session may still hold (then the window closes by itself), or ask again.
    await Promise.race([signIn.waitForEvent('close'), signIn.getByLabel('Password').waitFor().then(() => signInOnProviderPage(signIn, admin))]);
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.getByLabel('Username').inputValue()).toBe('dorothy.vaughan');
    await page.getByRole('button', { name: 'Create user' }).click();
    await heading(page, 'dorothy.vaughan');
    console.assertNone();
    await context.close();
  });
});

