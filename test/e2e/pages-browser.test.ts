/**
 * Every page of the provider and of the fake provider, walked in Chromium as a person does:
 * each flow completes, each page passes axe-core (no serious or critical violation) at 375 px
 * and 1280 px under its real Content-Security-Policy, shows the operator's brand, and error
 * pages show the request id that the response and the logs carry. The client mode's pages are
 * walked in client-mode-browser.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, type TestProvider } from '../support/provider.js';
import { startTestServer, type TestServer } from '../support/server.js';

const BRAND = 'Acme Identity';

let provider: TestProvider;
let throttled: TestProvider;
let fake: TestServer;
let fakeDir: string;
let browser: Browser;
let rp: Server;
let rpOrigin: string;

beforeAll(async () => {
  rp = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1><p>${req.method}</p></html>`));
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  fakeDir = mkdtempSync(join(tmpdir(), 'jwt-oidc-pages-fake-'));
  [provider, throttled, fake, browser] = await Promise.all([
    startProvider({ JWT_OIDC_PRODUCT_NAME: BRAND }),
    startProvider({ JWT_OIDC_PRODUCT_NAME: BRAND, JWT_OIDC_LOGIN_FAILURE_LIMIT: '1' }),
    startTestServer({ JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'my-spa', JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_DATA_DIR: fakeDir }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([provider?.close(), throttled?.close(), fake?.close()]);
  rp?.close();
  rmSync(fakeDir, { recursive: true, force: true });
});

/** A fresh browser profile whose console errors (CSP violations among them) fail the test. */
async function visitor(): Promise<{ context: BrowserContext; page: Page; console: ReturnType<typeof watchConsole> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page, console: watchConsole(page) };
}

/** The brand line is on the page; on an error page, the request id of the response too. */
async function expectBranded(page: Page, response: Response | null, error: boolean) {
  expect(await page.locator('.brand').innerText()).toBe(BRAND);
  expect(await page.title()).toContain(BRAND);
  const shown = await page.locator('.request-id code').allInnerTexts();
  if (error) {
    expect(response).not.toBeNull();
    expect(shown).toEqual([await response!.headerValue('x-request-id')]);
  } else {
    expect(shown).toEqual([]);
  }
}

const codeRequest = (p: TestProvider, clientId: string, redirectUri: string, extra: Record<string, string> = {}) =>
  authorizeUrl(p, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...extra });

describe('the provider’s pages in Chromium', () => {
  it('sign in (with a wrong password first), consent, select account, and sign out with its confirmation', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ name: 'Pages App', redirectUris: [`${rpOrigin}/callback`], postLogoutRedirectUris: [`${rpOrigin}/bye`] });
    const { context, page, console } = await visitor();

    let response = await page.goto(codeRequest(provider, client.clientId, client.redirectUri));
    await expect(page.getByRole('heading', { name: 'Sign in' }).count()).resolves.toBe(1);
    await expectBranded(page, response, false);
    await expectAccessible(page, 'login');

    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('[role="alert"]');
    await expectAccessible(page, 'login with an error');

    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('button[value="allow"]');
    await expectBranded(page, null, false);
    await expectAccessible(page, 'consent');
    await page.click('button[value="allow"]');
    await page.waitForURL((u) => u.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();

    response = await page.goto(codeRequest(provider, client.clientId, client.redirectUri, { prompt: 'select_account' }));
    await page.waitForSelector('h1:has-text("Choose an account")');
    await expectAccessible(page, 'select account');
    await page.getByRole('button', { name: `Continue as ${user.username}` }).click();
    await page.waitForURL((u) => u.pathname === '/callback');

    await page.goto(`${provider.issuer}/session/end?client_id=${client.clientId}&post_logout_redirect_uri=${encodeURIComponent(`${rpOrigin}/bye`)}`);
    await page.waitForSelector('h1:has-text("Sign out?")');
    await expectAccessible(page, 'logout confirmation');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.waitForSelector('h1:has-text("Still signed in")');
    await expectAccessible(page, 'still signed in');

    await page.goto(`${provider.issuer}/session/end`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('h1:has-text("Signed out")');
    await expectAccessible(page, 'signed out');

    // Signed out for real: the next request asks for the password again.
    await page.goto(codeRequest(provider, client.clientId, client.redirectUri));
    await expect(page.getByLabel('Password').count()).resolves.toBe(1);
    console.assertNone();
    await context.close();
  });

  it('the first-run setup page, by keyboard only: a mistake shown beside its field, the administrator created, then the page gone', async () => {
    const { context, page, console } = await visitor();
    const response = await page.goto(`${provider.url}/admin/setup`);
    expect(response!.status()).toBe(200);
    await expectBranded(page, response, false);
    await expectAccessible(page, 'first-run setup');
    // The username has the focus; Tab walks the form in order, Enter submits it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    await page.keyboard.type('first-admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('first-admin@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery stapler');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm-error');
    expect(await page.locator('#confirm-error').innerText()).toBe('The two passwords differ.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm');
    expect(await page.getByLabel('Username').inputValue()).toBe('first-admin');
    await expectAccessible(page, 'first-run setup with an error');
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("Administrator created")');
    await expectAccessible(page, 'administrator created');
    expect((await page.goto(`${provider.url}/admin/setup`))!.status()).toBe(404);
    console.assertNone();
    await context.close();
  });

  it('error pages: a request that cannot be processed, an expired sign-in, a throttled account', async () => {
    const { context, page, console } = await visitor();
    let response = await page.goto(`${provider.issuer}/authorize?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${rpOrigin}/cb`)}`);
    expect(response!.status()).toBe(400);
    await expect(page.locator('h1').innerText()).resolves.toBe('Sign-in request not valid');
    await expectBranded(page, response, true);
    await expectAccessible(page, 'authorization error');

    // A known client with a registered home page (client_uri): the way back goes there, never to the unregistered URI.
    const known = await provider.createClient({ name: 'Home App', redirectUris: [`${rpOrigin}/callback`], clientUri: `${rpOrigin}/home` });
    response = await page.goto(`${provider.issuer}/authorize?client_id=${known.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`);
    expect(response!.status()).toBe(400);
    await expectBranded(page, response, true);
    await expectAccessible(page, 'authorization error of a known client');
    await page.getByRole('link', { name: 'Back to Home App' }).click();
    await page.waitForURL(`${rpOrigin}/home`);

    response = await page.goto(`${provider.issuer}/interaction/not-a-real-interaction`);
    expect(response!.status()).toBe(400);
    await expectBranded(page, response, true);
    await expectAccessible(page, 'expired interaction');

    const user = await throttled.createUser();
    const client = await throttled.createClient({ redirectUris: [`${rpOrigin}/callback`] });
    await page.goto(codeRequest(throttled, client.clientId, client.redirectUri));
    for (let i = 0; i < 2; i++) {
      await page.getByLabel('Username').fill(user.username);
      await page.getByLabel('Password').fill('wrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForSelector('[role="alert"]');
    }
    // The wait in words, with a correct plural.
    await expect(page.locator('[role="alert"]').innerText()).resolves.toMatch(/^Too many failed attempts\. Try again in \d+ (minutes|minute|seconds|second)\.$/);
    await expectAccessible(page, 'throttled login');
    console.assertNone();
    await context.close();
  });
});

describe('the fake provider’s pages in Chromium', () => {
  it('sign in as anyone (with an error first), a refused request, and sign out through the provider’s confirmation', async () => {
    const { context, page, console } = await visitor();
    // The issuer's own host, as a client finds it by discovery: the interaction's cookie is for that host.
    const issuer = fake.settings.issuer!;
    const redirect = `http://localhost:${new URL(rpOrigin).port}/`;
    const login = () => `${issuer}/authorize?client_id=my-spa&response_type=code&scope=openid&state=s&redirect_uri=${encodeURIComponent(redirect)}&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;
    // /authorize hands over to the provider's interaction page, where the fake asks who to be.
    let response = await page.goto(login());
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
    expect(response!.status()).toBe(200);
    await page.waitForSelector('h1:has-text("Sign in as")');
    expect(await page.locator('.request-id').count()).toBe(0);
    await expectAccessible(page, 'fake login');

    await page.getByLabel('Subject (sub)').fill('ada');
    await page.getByLabel('Extra claims (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('[role="alert"]');
    await expectAccessible(page, 'fake login with an error');
    await page.getByLabel('Extra claims (JSON)').fill('{"roles": ["admin"]}');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((u) => u.searchParams.has('code'));

    const refused = await page.goto(`${issuer}/authorize?client_id=someone-else&response_type=code&redirect_uri=${encodeURIComponent(redirect)}`);
    expect(refused!.status()).toBe(400);
    await expect(page.locator('h1').innerText()).resolves.toBe('Sign-in request not valid');
    expect(await page.locator('.request-id code').innerText()).toBe(await refused!.headerValue('x-request-id'));
    await expectAccessible(page, 'fake refused request');

    // Still signed in: the same request goes straight back to the app.
    await page.goto(login());
    await page.waitForURL((u) => u.origin === new URL(redirect).origin && u.searchParams.has('code'));

    // Without an ID token hint the provider asks before it signs anyone out.
    await page.goto(`${issuer}/session/end`);
    await page.waitForSelector('h1:has-text("Sign out?")');
    expect(await page.locator('.request-id').count()).toBe(0);
    await expectAccessible(page, 'fake logout confirmation');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForSelector('h1:has-text("Signed out")');
    expect(await page.locator('.request-id').count()).toBe(0);
    await expectAccessible(page, 'fake signed out');

    // Signed out for real: the next request shows the login page again.
    response = await page.goto(login());
    expect(response!.status()).toBe(200);
    await page.waitForSelector('h1:has-text("Sign in as")');
    console.assertNone();
    await context.close();
  });
});
