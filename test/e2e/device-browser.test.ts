/**
 * Device sign-in (RFC 8628) end to end: openid-client's device helpers on the "device", Chromium
 * on the verification page — the code prefilled from verification_uri_complete and confirmed, the
 * sign-in and consent pages of any sign-in, the end page — with axe-core on every page at both
 * widths under the pages' real Content-Security-Policy (docs/SECURITY.md DV-10).
 */
import * as oc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let provider: TestProvider;
let browser: Browser;
let user: { id: string; username: string; password: string };
let config: oc.Configuration;

beforeAll(async () => {
  // A 1-second interval keeps the polling short.
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_DEVICE_CODE_INTERVAL: '1' }), launchBrowser()]);
  user = await provider.createUser();
  const tv = await provider.createClient({ name: 'Living Room TV', public: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT, 'refresh_token'] });
  config = await oc.discovery(new URL(provider.issuer), tv.clientId, {}, oc.None(), { execute: [oc.allowInsecureRequests] });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

describe('device sign-in with openid-client and Chromium', () => {
  it('DV-10 the device gets its tokens once the user confirmed the code, signed in and consented; every page is accessible', async () => {
    const started = await oc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    expect(started.verification_uri).toBe(`${provider.issuer}/device`);
    // DPoP at /token applies to this grant as to any (RFC 9449 §5): the tokens are bound to the key.
    const DPoP = oc.getDPoPHandle(config, await oc.randomDPoPKeyPair());
    const polling = oc.pollDeviceAuthorizationGrant(config, started, undefined, { DPoP });

    const context = await browser.newContext();
    const page = await context.newPage();
    const console = watchConsole(page);
    // A wrong code first: the error state.
    await page.goto(started.verification_uri);
    await expectAccessible(page, 'device code form');
    await page.getByLabel('Code').fill('BBBB-BBBB');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForSelector('.error');
    await expectAccessible(page, 'device code form with an error');

    await page.goto(started.verification_uri_complete!);
    expect(await page.getByLabel('Code').inputValue()).toBe(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForSelector('h1:has-text("Connect Living Room TV?")');
    expect(await page.textContent('main')).toContain(started.user_code);
    await expectAccessible(page, 'device confirmation');
    await page.getByRole('button', { name: "Yes, it's my device" }).click();

    await page.waitForSelector('h1:has-text("Sign in")');
    await expectAccessible(page, 'sign-in');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('button:has-text("Allow")');
    await expectAccessible(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForSelector('h1:has-text("Device connected")');
    expect(await page.textContent('main')).toContain('You may return to your device');
    await expectAccessible(page, 'device connected');

    const tokens = await polling;
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.claims()?.sub).toBe(user.id);
    const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { cnf?: { jkt?: string } };
    expect(payload.cnf?.jkt).toBeTruthy();
    console.assertNone();
    await context.close();
  }, 60_000);

  it('a denied consent ends the device\'s polling with access_denied, and the end page says so', async () => {
    const other = await provider.createClient({ name: 'Game Console', public: true, redirectUris: [], responseTypes: [], grantTypes: [GRANT] });
    const otherConfig = await oc.discovery(new URL(provider.issuer), other.clientId, {}, oc.None(), { execute: [oc.allowInsecureRequests] });
    const started = await oc.initiateDeviceAuthorization(otherConfig, { scope: 'openid profile' });
    const polling = oc.pollDeviceAuthorizationGrant(otherConfig, started).then(
      () => 'tokens',
      (e: unknown) => (e as { error?: string }).error,
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(started.verification_uri_complete!);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: "Yes, it's my device" }).click();
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForSelector('h1:has-text("Denied")');
    await expectAccessible(page, 'device denied');
    expect(await polling).toBe('access_denied');
    await context.close();
  }, 60_000);
});
