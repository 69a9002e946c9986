/**
 * The login as a person does it, in a real browser: the authorization URL, the login form,
 * the consent page, and the landing on the client's redirect URI with a code that redeems.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rpServer: Server;
let rpOrigin: string;

beforeAll(async () => {
  // The relying party's callback: a page that just says it got there.
  rpServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><h1>Back at the app</h1>'));
  await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}`;
  [provider, browser] = await Promise.all([startProvider(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rpServer?.close();
});

describe('login in a real browser (Chromium)', () => {
  it('signs in, consents, and lands on the redirect URI with a code that redeems', async () => {
    const user = await provider.createUser({ givenName: 'Ada' });
    const rp = await provider.createClient({ name: 'Browser Test App', redirectUris: [`${rpOrigin}/callback`] });
    const { verifier, challenge } = pkcePair();
    const page = await browser.newPage();
    await page.goto(authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid profile', state: 'browser-state', code_challenge: challenge, code_challenge_method: 'S256' }));

    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
    expect(await page.textContent('body')).toContain('Browser Test App');
    await page.fill('input[name="username"]', user.username);
    await page.fill('input[name="password"]', 'a wrong password');
    await page.click('button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('Incorrect username or password');

    await page.fill('input[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[value="allow"]');
    expect(await page.textContent('body')).toMatch(/Browser Test App wants to access your account/);
    await page.screenshot({ path: '/tmp/jwt-oidc-consent.png' }).catch(() => undefined);
    await page.click('button[value="allow"]');

    await page.waitForURL((url) => url.pathname === '/callback');
    const landed = new URL(page.url());
    expect(landed.origin).toBe(rpOrigin);
    expect(landed.searchParams.get('state')).toBe('browser-state');
    expect(landed.searchParams.get('iss')).toBe(provider.issuer);
    expect(await page.textContent('h1')).toBe('Back at the app');

    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: landed.searchParams.get('code')!, redirect_uri: rp.redirectUri, code_verifier: verifier }, rp);
    expect(res.status).toBe(200);
    const tokens = await res.json();
    expect(tokens.id_token).toBeDefined();
    // The session cookie the browser holds is HttpOnly: invisible to page scripts.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.close();
  });

  it('skips the pages on the next login of the same browser (session and consent remembered)', async () => {
    const user = await provider.createUser();
    const rp = await provider.createClient({ redirectUris: [`${rpOrigin}/callback`] });
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = () => authorizeUrl(provider, { client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
    await page.goto(url());
    await page.fill('input[name="username"]', user.username);
    await page.fill('input[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.click('button[value="allow"]');
    await page.waitForURL((u) => u.pathname === '/callback');

    await page.goto(url());
    await page.waitForURL((u) => u.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await context.close();
  });
});
