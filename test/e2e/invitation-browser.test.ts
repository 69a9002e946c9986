/**
 * An invitation in Chromium (docs/ACCOUNTS.md "Invitations"): an administrator invites over
 * GraphQL, the mail reaches a real SMTP server on loopback, its link opens the form (its errors
 * beside the fields), the account is ready, and the new user signs in at an application through
 * the provider's sign-in page, with a code that redeems. Every page passes axe-core at 375 and
 * 1280 px under its real CSP, with no console error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { landingPage, launchBrowser } from '../support/browser.js';
import { adminUserTokens, authorizeUrl, gql, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let provider: TestProvider;
let browser: Browser;
let smtp: TestSmtpServer;
let rp: Awaited<ReturnType<typeof landingPage>>;
let rpOrigin: string;

beforeAll(async () => {
  rp = await landingPage();
  rpOrigin = rp.origin;
  smtp = await startSmtpServer();
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_REGISTRATION: 'invite', JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  await smtp?.close();
  rp?.close();
});

describe('an invitation in the browser', () => {
  it('invite → mail → link → form (errors beside the fields) → "Your account is ready" → sign in at the application with a code that redeems', async () => {
    const email = `hedy-${Date.now()}@example.com`;
    const username = `hedy${Date.now().toString(36)}`;
    const password = 'a passphrase of my own';
    const admin = await adminUserTokens(provider);
    const invited = await gql(provider, 'mutation($email: String!) { inviteUser(email: $email) { email expiresAt } }', { email }, admin.tokens.access_token);
    expect(invited.body.errors, invited.text).toBeUndefined();
    const mail = await smtp.waitForMail((m) => m.to.includes(email), 10_000);
    expect(mail.subject).toBe('Acme Identity: You are invited to Acme Identity');
    const link = /https?:\/\/\S+\/account\/invitation\/[\w-]{43}/.exec(mail.text)![0];

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(await page.locator('#invited-email').textContent()).toBe(email);
    expect(await page.locator('input[name="email"]').count()).toBe(0);
    await expectAccessible(page, 'invitation form');

    // Two passwords that differ: said beside the field; the username typed stays, the passwords do not.
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password again').fill(`${password}!`);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.locator('#confirm-error').waitFor();
    expect(await page.getByLabel('Password again').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Username').inputValue()).toBe(username);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await expectAccessible(page, 'invitation form with an error');

    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Password again').fill(password);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    expect(await page.getByRole('link', { name: 'your account page' }).getAttribute('href')).toBe(`${provider.issuer}/account`);
    await expectAccessible(page, 'account ready');

    // The link is spent.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await expectAccessible(page, 'invitation link no longer works');

    // Signing in at an application, through the provider's sign-in page.
    const client = await provider.createClient({ name: 'Shop', redirectUris: [`${rpOrigin}/callback`], firstParty: true });
    const { verifier, challenge } = pkcePair();
    await page.goto(authorizeUrl(provider, { client_id: client.clientId, redirect_uri: client.redirectUri, response_type: 'code', scope: 'openid profile email', state: 'st-inv', code_challenge: challenge, code_challenge_method: 'S256' }));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('link', { name: 'Create an account' }).count()).toBe(0);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.origin === rpOrigin);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).toBe('st-inv');
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: client.redirectUri, code_verifier: verifier }, client);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string };
    const userinfo = (await (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ email, email_verified: true, preferred_username: username });
    errors.assertNone();
    await context.close();
  });
});
