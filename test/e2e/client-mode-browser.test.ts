/**
 * The client mode as a person uses it, in Chromium: sign in through /openid/login at this
 * service's provider mode, land on the placeholder at `/`, sign out through the sign-out form —
 * whose POST redirects to the provider's end-session endpoint, which the form's CSP form-action
 * must allow (Chromium checks it on every redirect after a submission) — and come back to `/`
 * signed out at both ends: the next /openid/login asks for the password again. The callback
 * error page and the 503 page of an unreachable provider; then the same sign-out for a plain
 * Express app with `oidcClient`'s default pages. Every page is checked with axe at phone
 * and laptop widths under its real CSP, and no page may log a console error or CSP violation.
 */
import type { Server } from 'node:http';
import express from 'express';
import { oidcClient, type OidcClientRouter } from '@jwt-oidc/express';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { freePort, startBff, type Bff } from '../support/client-mode.js';
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

/**
 * Waits until the browser has arrived where `arrived` says, or shows `prompt` (a page that wants
 * an answer on the way); polling, so that a blocked navigation fails with where it stopped and
 * what the console said.
 */
async function arrivedOrPrompted(page: Page, arrived: (url: URL) => boolean, prompt: string | undefined, errors: string[]): Promise<'arrived' | 'prompt'> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await page.waitForTimeout(50)) {
    if (arrived(new URL(page.url()))) {
      await page.waitForLoadState('load');
      return 'arrived';
    }
    if (prompt && (await page.locator(prompt).count())) return 'prompt';
  }
  throw new Error(`stopped at ${page.url()}; console:\n  ${errors.join('\n  ')}`);
}

/**
 * At the provider's login page (reached from an app's /openid/login): signs in, consents when
 * asked, and waits until the browser is back at `appOrigin`.
 */
async function signInAtProvider(page: Page, user: { username: string; password: string }, appOrigin: string, errors: string[]): Promise<void> {
  await page.waitForSelector('input[name="password"]');
  expect(new URL(page.url()).origin).toBe(new URL(provider.issuer).origin);
  await expectAccessible(page, 'provider sign-in page');
  await page.fill('input[name="username"]', user.username);
  await page.fill('input[name="password"]', user.password);
  await page.click('button[type="submit"]');
  const back = (u: URL) => u.origin === appOrigin;
  if ((await arrivedOrPrompted(page, back, 'button[value="allow"]', errors)) === 'prompt') {
    await expectAccessible(page, 'provider consent page');
    await page.click('button[value="allow"]');
    await arrivedOrPrompted(page, back, undefined, errors);
  }
}

/**
 * On the app's sign-out page: clicks "Sign out", completes the provider's confirmation page if it
 * shows one, and waits until the browser is back at `appOrigin` (outside /openid). Returns the
 * provider end-session URLs the browser went through (redirects included).
 */
async function signOut(page: Page, appOrigin: string, errors: string[]): Promise<string[]> {
  const endSessions: string[] = [];
  const onRequest = (r: Request) => {
    if (r.isNavigationRequest() && r.url().startsWith(`${provider.issuer}/session/end`)) endSessions.push(r.url());
  };
  page.on('request', onRequest);
  const back = (u: URL) => u.origin === appOrigin && !u.pathname.startsWith('/openid/');
  const confirm = 'button[name="logout"][value="yes"]';
  await page.getByRole('button', { name: 'Sign out' }).click();
  if ((await arrivedOrPrompted(page, back, confirm, errors)) === 'prompt') {
    await expectAccessible(page, 'provider sign-out confirmation');
    await page.click(confirm);
    await arrivedOrPrompted(page, back, undefined, errors);
  }
  page.off('request', onRequest);
  return endSessions;
}

describe('client mode in Chromium', () => {
  let bff: Bff;
  let user: { username: string; password: string };

  beforeAll(async () => {
    user = await provider.createUser({ givenName: 'Grace', familyName: 'Hopper' });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const client = await provider.createClient({
      name: 'Shop',
      redirectUris: [`${publicUrl}/openid/callback`],
      postLogoutRedirectUris: [`${publicUrl}/`],
      grantTypes: ['authorization_code', 'refresh_token'],
      logoutAll: true,
    });
    bff = await startBff(port, `${provider.issuer}/.well-known/openid-configuration`, {
      JWT_OIDC_CLIENT_ID: client.clientId,
      JWT_OIDC_CLIENT_SECRET: client.clientSecret!,
      JWT_OIDC_SCOPE: 'openid profile email',
      JWT_OIDC_CREATE_USER: 'true',
    });
  });
  afterAll(async () => {
    await bff?.close();
  });

  it('signs in, lands on /, signs out at the provider too (no CSP violation), and the next sign-in asks for the password', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const browserConsole = watchConsole(page);

    await page.goto(`${bff.publicUrl}/openid/login`);
    await page.waitForSelector('input[name="password"]');
    const stylesheet = () => page.evaluate(() => document.querySelector('style')?.textContent);
    const providerStylesheet = await stylesheet();
    expect(providerStylesheet).toBeTruthy();
    await signInAtProvider(page, user, bff.publicUrl, browserConsole.errors);
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Signed in');
    expect(await page.textContent('main')).toContain('Signed in as Grace Hopper');
    expect(await page.textContent('main')).toContain('JWT_OIDC_LOGIN_REDIRECT_URL');
    await expectAccessible(page, 'client mode home, signed in');

    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${bff.publicUrl}/openid/logout`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign out');
    // The provider's look: the same stylesheet and card.
    expect(await stylesheet()).toBe(providerStylesheet);
    expect(await page.locator('main.card').count()).toBe(1);
    await expectAccessible(page, 'client mode sign-out page');
    const ends = await signOut(page, bff.publicUrl, browserConsole.errors);

    // Through the provider's end-session endpoint, and back to / signed out.
    expect(ends).toHaveLength(1);
    expect(new URL(ends[0]!).searchParams.get('post_logout_redirect_uri')).toBe(`${bff.publicUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed out');
    await expectAccessible(page, 'client mode home, signed out');
    browserConsole.assertNone();

    // The provider's session ended too: signing in again asks for the password.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForSelector('input[name="password"]');
    expect(new URL(page.url()).origin).toBe(new URL(provider.issuer).origin);
    browserConsole.assertNone();
    await context.close();
  });

  it('the callback error page and the 404-free /: styled, accessible, with the request id, no console error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const browserConsole = watchConsole(page);

    const error = await page.goto(`${bff.publicUrl}/openid/callback?state=x&code=y`);
    expect(error!.status()).toBe(400);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign-in link not valid');
    expect(await page.textContent('main')).toContain('This sign-in link is not valid here. Please start again.');
    const requestId = await error!.headerValue('x-request-id');
    expect(requestId).toBeTruthy();
    expect(await page.textContent('main')).toContain(requestId!);
    expect(await error!.headerValue('content-security-policy')).not.toMatch(/unsafe-inline/);
    await expectAccessible(page, 'client mode callback error page');

    const home = await page.goto(`${bff.publicUrl}/`);
    expect(home!.status()).toBe(200);
    expect(await home!.headerValue('cache-control')).toBe('no-store');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You are signed out');
    await expectAccessible(page, 'client mode home, signed out');

    const signOutPage = await page.goto(`${bff.publicUrl}/openid/logout`);
    expect(signOutPage!.status()).toBe(200);
    await expectAccessible(page, 'client mode sign-out page, signed out');
    browserConsole.assertNone();
    await context.close();
  });
});

describe('client mode in Chromium, the provider unreachable', () => {
  let bff: Bff;

  beforeAll(async () => {
    bff = await startBff(await freePort(), `http://127.0.0.1:${await freePort()}/.well-known/openid-configuration`, { JWT_OIDC_CLIENT_ID: 'shop', JWT_OIDC_CLIENT_SECRET: 's'.repeat(32) });
  });
  afterAll(async () => {
    await bff?.close();
  });

  it('/openid/login is the 503 page: styled, accessible, a way to try again, the request id', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const browserConsole = watchConsole(page);
    const res = await page.goto(`${bff.publicUrl}/openid/login?returnTo=/orders`);
    expect(res!.status()).toBe(503);
    expect(await res!.headerValue('retry-after')).toMatch(/^[1-9]\d*$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign-in unavailable');
    expect(await page.textContent('main')).toContain((await res!.headerValue('x-request-id'))!);
    expect(await page.getByRole('link', { name: 'Try again' }).getAttribute('href')).toBe('/openid/login?returnTo=%2Forders');
    await expectAccessible(page, 'client mode 503 page');
    browserConsole.assertNone();
    await context.close();
  });
});

describe('@jwt-oidc/express default pages in Chromium', () => {
  let server: Server;
  let router: OidcClientRouter;
  let appUrl: string;
  let user: { username: string; password: string };

  beforeAll(async () => {
    user = await provider.createUser({ givenName: 'Ada' });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const client = await provider.createClient({ redirectUris: [`${appUrl}/openid/callback`], postLogoutRedirectUris: [`${appUrl}/`], logoutAll: true });
    const app = express();
    router = oidcClient({ discoveryEndpoint: provider.issuer, clientId: client.clientId, clientSecret: client.clientSecret, baseUrl: appUrl, scope: 'openid profile', allowInsecureRequests: true, onWarning: () => undefined });
    app.use(router);
    // The app's own page (not under test): just enough to be an accessible landing.
    app.get('/', (req, res) => {
      res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>App</title></head><body><main><h1>${req.oidc.loggedIn ? 'In' : 'Out'}</h1></main></body></html>`);
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await router?.close();
  });

  it('sign-out page and error page: accessible; signing out reaches the provider and comes back without a CSP violation', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const browserConsole = watchConsole(page);

    await page.goto(`${appUrl}/openid/login`);
    await signInAtProvider(page, user, appUrl, browserConsole.errors);
    await expect(page.textContent('h1')).resolves.toBe('In');

    const form = await page.goto(`${appUrl}/openid/logout`);
    expect(await form!.headerValue('content-security-policy')).toContain(new URL(provider.issuer).origin);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign out');
    await expectAccessible(page, 'default sign-out page');
    const ends = await signOut(page, appUrl, browserConsole.errors);
    expect(ends).toHaveLength(1);
    expect(new URL(page.url()).pathname).toBe('/');
    await expect(page.textContent('h1')).resolves.toBe('Out');

    await page.goto(`${appUrl}/openid/login`);
    await page.waitForSelector('input[name="password"]');

    const error = await page.goto(`${appUrl}/openid/callback?state=x&code=y`);
    expect(error!.status()).toBe(400);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign-in link not valid');
    await expectAccessible(page, 'default callback error page');
    browserConsole.assertNone();
    await context.close();
  });
});
