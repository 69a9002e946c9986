/**
 * Setting up a second factor during a sign-in, in Chromium (src/interaction/enrolment.ts), with
 * JWT_OIDC_MFA=required: a user with a password only is asked to set up an app right after the
 * password; the key is read from the page and its code computed with the provider's injected
 * clock, as an authenticator app would; a wrong code is said; the recovery codes are shown once;
 * "Continue" reaches the application, whose ID token states the second factor. The same with a
 * passkey instead, made by the DevTools protocol's virtual authenticator, and the next sign-in
 * asking for it. Every page passes axe-core at 375 px and 1280 px under its real
 * Content-Security-Policy (docs/SECURITY.md PL-01, PL-09).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { generateSync } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

/** The provider's clock: the codes are computed from it, not from the machine's. */
const clock = new ManualClock(Math.ceil(Date.now() / 30_000) * 30_000 + 60_000);
let provider: TestProvider;
let browser: Browser;
let rp: Server;
let rpOrigin: string;

beforeAll(async () => {
  rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1></html>'));
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_MFA: 'required' }, { clock }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rp?.close();
});

describe('JWT_OIDC_MFA=required in Chromium', () => {
  it('PL-01 a password-only user sets up an app during the sign-in: the set-up page, its error state and the recovery codes are accessible; Continue reaches the app with amr otp and mfa', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ name: 'Policy App', firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
    const pkce = pkcePair();
    const context = await browser.newContext();
    const page = await context.newPage();
    const console = watchConsole(page);
    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('h1:has-text("Set up two-step sign-in")');
    expect(new URL(page.url()).pathname).toMatch(/\/enrol$/);
    // The QR code is drawn (an image of the SVG under the page's img-src), and the key is there as text.
    expect(await page.getByRole('img', { name: /QR code/ }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expectAccessible(page, 'two-step set-up');

    const code = () => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
    await page.getByLabel('Code from the app').fill(code() === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForSelector('[role="alert"]');
    expect(await page.getByRole('alert').innerText()).toMatch(/not right/);
    expect((await page.locator('#totp-secret').innerText()).replace(/\s/g, '')).toBe(secret);
    await expectAccessible(page, 'two-step set-up with an error');

    await page.getByLabel('Code from the app').fill(code());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForSelector('h1:has-text("Save your recovery codes")');
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    await expectAccessible(page, 'recovery codes');

    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.pathname === '/callback');
    const given = new URL(page.url()).searchParams.get('code');
    expect(given).toBeTruthy();
    const token = await tokenRequest(provider, { grant_type: 'authorization_code', code: given!, redirect_uri: client.redirectUri, code_verifier: pkce.verifier }, client);
    expect(token.status).toBe(200);
    const claims = decodeJwt(((await token.json()) as { id_token: string }).id_token);
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:jwt-oidc:mfa' });
    console.assertNone();
    await context.close();
  });

  it('PL-09 a password-only user sets up a passkey instead: the set-up page with it and the recovery codes are accessible; the ID token says hwk, user and mfa; the next sign-in asks for the passkey', async () => {
    const user = await provider.createUser();
    const client = await provider.createClient({ name: 'Passkey Policy App', firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
    const context = await browser.newContext();
    const page = await context.newPage();
    const console = watchConsole(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const signIn = async (): Promise<string> => {
      const pkce = pkcePair();
      await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256' }));
      await page.getByLabel('Username').fill(user.username);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      return pkce.verifier;
    };
    const idTokenAt = async (p: Page, verifier: string) => {
      await p.waitForURL((u) => u.pathname === '/callback');
      const token = await tokenRequest(provider, { grant_type: 'authorization_code', code: new URL(p.url()).searchParams.get('code')!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
      expect(token.status).toBe(200);
      return decodeJwt(((await token.json()) as { id_token: string }).id_token);
    };

    const verifier = await signIn();
    await page.waitForSelector('h1:has-text("Set up two-step sign-in")');
    // Shown by its script, which found WebAuthn: a second section beside the app's.
    const section = page.getByRole('region', { name: 'Use a passkey' });
    await section.getByRole('button', { name: 'Create a passkey' }).waitFor();
    expect(await page.getByRole('region', { name: 'Authenticator app' }).isVisible()).toBe(true);
    await expectAccessible(page, 'two-step set-up with a passkey');
    await section.getByRole('button', { name: 'Create a passkey' }).click();
    await page.waitForSelector('h1:has-text("Save your recovery codes")');
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    expect(await page.getByText('If you lose your passkey').count()).toBe(1);
    await expectAccessible(page, 'recovery codes after a passkey');
    await page.getByRole('button', { name: 'Continue' }).click();
    const claims = await idTokenAt(page, verifier);
    expect(claims).toMatchObject({ amr: ['pwd', 'hwk', 'user', 'mfa'], acr: 'urn:jwt-oidc:mfa' });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.rpId).toBe('localhost');

    // The next sign-in: the password, then the second step with the passkey, not the set-up.
    await context.clearCookies();
    const again = await signIn();
    await page.waitForSelector('h1:has-text("Two-step sign-in")');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const next = await idTokenAt(page, again);
    expect(next).toMatchObject({ amr: ['pwd', 'hwk', 'user', 'mfa'], acr: 'urn:jwt-oidc:mfa' });
    console.assertNone();
    await context.close();
  });
});
