/**
 * The second step of a sign-in in Chromium (src/interaction/second-factor.ts): the code page and
 * its error state pass axe-core at 375 px and 1280 px under the page's real Content-Security-
 * Policy, the recovery-code form is reached by its link, and the right code continues to the
 * application.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSync } from 'otplib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { FactorService } from '../../src/users/factors.js';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rp: Server;
let rpOrigin: string;

beforeAll(async () => {
  rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1></html>'));
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  [provider, browser] = await Promise.all([startProvider(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rp?.close();
});

describe('two-step sign-in in Chromium', () => {
  it('asks the code after the password; the page and its error state are accessible; the right code continues', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ name: 'MFA App', firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
    const factors = new FactorService({ em: provider.db.orm.em, clock: systemClock, sealer: provider.provider!.keys.encryption });
    const started = await factors.startTotp(user, 'test');
    const now = Math.floor(Date.now() / 1000);
    await factors.confirmTotp(user.id, started.id, generateSync({ secret: started.secret, epoch: now - 30 }), 'Phone');

    const context = await browser.newContext();
    const page = await context.newPage();
    const console = watchConsole(page);
    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('h1:has-text("Two-step sign-in")');
    expect(new URL(page.url()).pathname).toMatch(/\/mfa$/);
    await expectAccessible(page, 'second factor');

    await page.getByLabel('Code').fill('000000' === generateSync({ secret: started.secret }) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForSelector('[role="alert"]');
    await expectAccessible(page, 'second factor with an error');

    await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
    await page.waitForSelector('label:has-text("Recovery code")');
    await expectAccessible(page, 'recovery code');
    await page.getByRole('link', { name: 'Use the code of your authenticator app' }).click();

    await page.getByLabel('Code').fill(generateSync({ secret: started.secret }));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    console.assertNone();
    await context.close();
  });
});
