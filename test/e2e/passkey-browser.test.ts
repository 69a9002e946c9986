/**
 * Passkeys in Chromium with the DevTools protocol's virtual authenticator (docs/ACCOUNTS.md
 * "Passkeys"): registered on the account page, then used as the second factor after the password
 * and — with JWT_OIDC_PASSKEY_LOGIN — alone, without a username; a cloned authenticator (its
 * signature counter behind) refused and audited; one answer posted ten times at once signs in
 * once. Every new page state passes axe-core under the pages' real policies, with no browser
 * error; with the setting off the login page has neither the button nor a script.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openAccount, type ConsoleVisit } from '../support/console.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rp: Server;
let rpOrigin: string;

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  privateKey: string;
  userHandle: string;
  signCount: number;
}

const AUTHENTICATOR = { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } as const;

async function addAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
  return authenticatorId;
}

async function credentialsOf(cdp: CDPSession, authenticatorId: string): Promise<VirtualCredential[]> {
  return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[];
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

beforeAll(async () => {
  rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1></html>'));
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', () => r()));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PASSKEY_LOGIN: 'true' }, { captureLogs: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  rp?.close();
});

describe('passkeys in Chromium', () => {
  let user: { id: string; username: string; password: string };
  let client: { clientId: string; clientSecret?: string; redirectUri: string };
  let visit: ConsoleVisit;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticator: string;

  /** An authorization request in the page; its PKCE verifier for the code exchange. */
  async function authorizeInPage(extra: Record<string, string> = {}): Promise<string> {
    const pkce = pkcePair();
    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid', state: 'st', nonce: 'n', code_challenge: pkce.challenge, code_challenge_method: 'S256', prompt: 'login', ...extra }));
    return pkce.verifier;
  }

  async function idTokenAt(url: string, verifier: string): Promise<Record<string, unknown>> {
    const code = new URL(url).searchParams.get('code');
    expect(code, url).toBeTruthy();
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: code!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
    expect(res.status).toBe(200);
    return claimsOf(((await res.json()) as { id_token: string }).id_token);
  }

  async function passwordThenSecondStep(): Promise<string> {
    const verifier = await authorizeInPage();
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('h1:has-text("Two-step sign-in")');
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    return verifier;
  }

  beforeAll(async () => {
    user = await provider.createUser();
    client = await provider.createClient({ name: 'Passkey App', firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
  });
  afterAll(async () => {
    await context?.close();
  });

  it('registers a passkey on the account page, listed with its name (the first factor brings recovery codes)', async () => {
    visit = await openAccount(browser, provider, user);
    ({ context, page } = visit);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    authenticator = await addAuthenticator(cdp);
    await heading(page, 'Your account');
    const section = page.locator('section[aria-labelledby="account-passkeys"]');
    await section.getByText('No passkey yet.').waitFor();
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    const form = section.getByRole('form', { name: 'Add a passkey' });
    await form.getByRole('button', { name: 'Create the passkey' }).click();
    await expect.poll(() => form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');
    await expectAccessible(page, 'passkeys: form with problems');

    await form.getByLabel('Name').fill('Laptop');
    await form.getByLabel('Current password').fill(user.password);
    await form.getByRole('button', { name: 'Create the passkey' }).click();
    const codes = section.getByRole('list', { name: 'Recovery codes' }).locator('li');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await expectAccessible(page, 'passkeys: recovery codes');
    await section.getByRole('button', { name: 'I have saved them' }).click();

    const items = section.getByRole('list', { name: 'Passkeys' }).locator(':scope > li');
    await items.first().waitFor();
    expect(await items.first().locator('h3').innerText()).toBe('Laptop');
    await expect.poll(async () => (await items.first().locator('dd').nth(1).innerText()).trim()).toBe('Never');
    // The authenticator apps' list is not the passkeys'.
    await page.locator('section[aria-labelledby="account-two-step"]').getByText('No authenticator app yet.').waitFor();
    await expectAccessible(page, 'passkeys: one passkey');

    const [credential] = await credentialsOf(cdp, authenticator);
    expect(credential!.isResidentCredential).toBe(true);
    expect(credential!.rpId).toBe('localhost');
    visit.console.assertNone();
  });

  it('PK-04: asks the passkey after the password; the ID token says hwk, user, pwd, mfa and the mfa acr', async () => {
    const verifier = await passwordThenSecondStep();
    await expectAccessible(page, 'second step with a passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((u) => u.pathname === '/callback');
    const claims = await idTokenAt(page.url(), verifier);
    expect([...(claims.amr as string[])].sort()).toEqual(['hwk', 'mfa', 'pwd', 'user']);
    expect(claims.acr).toBe('urn:jwt-oidc:mfa');
    visit.console.assertNone();
  });

  it('acceptance: with PASSKEY_LOGIN, a newcomer signs in with the passkey alone, no username typed', async () => {
    await context.clearCookies();
    const verifier = await authorizeInPage({ prompt: '' });
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    await expectAccessible(page, 'login page with a passkey');
    expect(await page.getByLabel('Username').inputValue()).toBe('');
    await button.click();
    await page.waitForURL((u) => u.pathname === '/callback');
    const claims = await idTokenAt(page.url(), verifier);
    expect(claims.sub).toBe(user.id);
    expect([...(claims.amr as string[])].sort()).toEqual(['hwk', 'mfa', 'user']);
    expect(claims.acr).toBe('urn:jwt-oidc:mfa');
    visit.console.assertNone();
  });

  it('PK-02: a cloned authenticator (its counter behind the one seen) is refused and audited', async () => {
    const [credential] = await credentialsOf(cdp, authenticator);
    expect(credential!.signCount).toBeGreaterThan(1);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
    const clone = await addAuthenticator(cdp);
    await cdp.send('WebAuthn.addCredential', { authenticatorId: clone, credential: { ...credential!, signCount: 0 } });

    await context.clearCookies();
    await authorizeInPage({ prompt: '' });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('That passkey could not sign you in.').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/\/passkey$/);
    await expectAccessible(page, 'login page: passkey refused');
    await expect.poll(() => provider.logs.filter((l) => l.event === 'passkey.cloned').length).toBe(1);
    const cloned = provider.logs.find((l) => l.event === 'passkey.cloned')!;
    expect(cloned).toMatchObject({ user: user.id, reason: 'cloned' });

    // The real authenticator, with its counter, goes on.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: clone });
    authenticator = await addAuthenticator(cdp);
    await cdp.send('WebAuthn.addCredential', { authenticatorId: authenticator, credential: credential! });
  });

  it('PK-01: one answer posted ten times at once signs in once', async () => {
    await context.clearCookies();
    // A session of the user, then the second step through its password.
    await passwordThenSecondStep();
    let posted: { url: string; body: string } | undefined;
    await page.route('**/mfa/passkey', async (route) => {
      posted = { url: route.request().url(), body: route.request().postData() ?? '' };
      await route.abort();
    });
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect.poll(() => posted).toBeDefined();
    await page.unroute('**/mfa/passkey');
    const cookie = (await context.cookies(posted!.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => fetch(posted!.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: posted!.body })),
    );
    const statuses = answers.map((r) => r.status);
    const signedIn = answers.filter((r) => r.status === 303 && new URL(r.headers.get('location')!).pathname === '/callback');
    expect(signedIn.length, statuses.join(',')).toBe(1);
    expect(statuses.filter((s) => s === 303).length, statuses.join(',')).toBe(1);
    expect(statuses.every((s) => [303, 400, 401, 429].includes(s)), statuses.join(',')).toBe(true);
  });
});

describe('with JWT_OIDC_PASSKEY_LOGIN off', () => {
  it('PK-08: the login page offers no passkey and loads no script', async () => {
    const off = await startProvider();
    try {
      const c = await off.createClient({ firstParty: true, redirectUris: [`${rpOrigin}/callback`] });
      const context = await browser.newContext();
      const page = await context.newPage();
      const res = await page.goto(authorizeUrl(off, { client_id: c.clientId, redirect_uri: c.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
      await page.getByLabel('Username').waitFor();
      expect(res!.headers()['content-security-policy']).not.toContain('script-src');
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);
      const post = await fetch(`${new URL(page.url()).toString()}/passkey`, { method: 'POST', redirect: 'manual' });
      expect(post.status).toBe(404);
      await context.close();
    } finally {
      await off.close();
    }
  });
});
