/**
 * In a real browser: the form_post response mode (the browser POSTs the response to the client
 * by itself, under the page's CSP), and logout with the confirmation page.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rp: Server;
let rpOrigin: string;
const posted: Record<string, string>[] = [];

beforeAll(async () => {
  rp = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'POST') posted.push(Object.fromEntries(new URLSearchParams(body)));
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>RP</title><h1>${req.method} ${req.url}</h1>`);
    });
  });
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  [provider, browser] = await Promise.all([startProvider(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rp?.close();
});

describe('in a real browser', () => {
  it('form_post: after login the browser POSTs code, state and iss to the client by itself', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', response_mode: 'form_post', scope: 'openid', state: 'fp-state', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    await page.fill('input[name="username"]', user.username);
    await page.fill('input[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('h1:has-text("POST /callback")');
    const received = posted.at(-1)!;
    expect(received.state).toBe('fp-state');
    expect(received.iss).toBe(provider.issuer);
    expect(received.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    await page.close();
  });

  it('logout without a hint asks first; confirming signs out, and prompt=none then needs a login', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorize = (extra: Record<string, string> = {}) =>
      authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256', ...extra });
    await page.goto(authorize());
    await page.fill('input[name="username"]', user.username);
    await page.fill('input[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.waitForURL((u) => u.pathname === '/callback');

    await page.goto(`${provider.issuer}/session/end`);
    expect(await page.textContent('h1')).toBe('Sign out?');
    await page.click('button[value="yes"]');
    await page.waitForSelector('h1:has-text("Signed out")');

    await page.goto(authorize({ prompt: 'none', state: 'after-logout' }));
    await page.waitForURL((u) => u.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('error')).toBe('login_required');
    await context.close();
  });
});
