/**
 * The console's clients pages (docs/CONSOLE.md) in Chromium against a real provider: registering
 * a confidential client through the form (a refused redirect URI beside its field, the secret
 * shown once and copied, then a certified relying party signing in with that copied secret), a
 * public client made with the keyboard only, editing with claim and restriction rows, rotating
 * the secret and deleting behind confirmations, the console's own client read-only, search and
 * pages. Every state passes axe-core at 375 and 1280 px under the console's CSP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openConsole, screenshots } from '../support/console.js';
import { clientToken, gql, login, startProvider, tokenRequest, tokensFor, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let admin: { id: string; username: string; password: string };
let user: { id: string; username: string; password: string };
const scratch = mkdtempSync(join(tmpdir(), 'console-clients-'));

beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_PRODUCT_NAME: 'Acme Identity' }), launchBrowser()]);
  admin = await provider.createUser({ username: 'ada.lovelace', givenName: 'Ada', familyName: 'Lovelace', admin: true });
  user = await provider.createUser({ username: 'grace.hopper', givenName: 'Grace', familyName: 'Hopper' });
  // The demo data of the screenshots: what an organisation registers.
  await provider.createClient({ id: 'acme-shop', name: 'Acme Shop', redirectUris: ['https://shop.acme.example/callback', 'https://shop.acme.example/silent'], firstParty: true });
  await provider.createClient({ id: 'acme-mobile', name: 'Acme mobile app', public: true, redirectUris: ['com.acme.mobile:/callback'] });
  await provider.createClient({ id: 'billing-worker', name: 'Billing worker', redirectUris: [], grantTypes: ['client_credentials'], admin: true });
  await provider.createClient({ id: 'helpdesk', name: 'Helpdesk', redirectUris: ['https://help.acme.example/oidc/callback'] });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

/**
 * An administrator's access token for checking the API directly, through a first-party client
 * made once (adminUserTokens would register another "Admin console" each time, which the list's
 * screenshot would show).
 */
let opsDashboard: Promise<string> | undefined;
function adminToken(): Promise<string> {
  opsDashboard ??= provider
    .createClient({ id: 'ops-dashboard', name: 'Ops dashboard', firstParty: true, redirectUris: ['https://ops.acme.example/callback'] })
    .then(async (client) => (await tokensFor(provider, client, admin, 'openid profile admin')).access_token);
  return opsDashboard;
}

/** The accessible name of the focused element: its label, else its own text. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const labelled = (el as HTMLInputElement).labels?.[0]?.innerText;
    return (labelled ?? el.getAttribute('aria-label') ?? el.innerText ?? '').trim();
  });
}

/** Presses Tab until the focus is on the control named `name` (the keyboard only; reading the focus is looking at the screen). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedName(page)) === name) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}

const isFocused = (page: Page, label: string) => page.getByLabel(label, { exact: true }).evaluate((el) => el === document.activeElement);

describe('registering a client', () => {
  it('a refused redirect URI is shown beside its field and nothing typed is lost; the secret is shown once, copied, and signs in with openid-client', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients');
    await heading(page, 'Clients');
    await page.getByRole('link', { name: 'Create client' }).click();
    await heading(page, 'New client');
    await expectAccessible(page, 'new client form');

    await page.getByLabel('Client ID (optional)', { exact: true }).fill('acme-analytics');
    await page.getByLabel('Name', { exact: true }).fill('Acme Analytics');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('https://analytics.acme.example/callback');
    await page.getByLabel('Post-logout redirect URIs', { exact: true }).fill('http://127.0.0.1:8123/');
    await page.getByLabel('First-party', { exact: true }).check();
    await page.getByLabel('Client URI', { exact: true }).fill('https://analytics.acme.example');
    await page.getByLabel('ID token signing algorithm', { exact: true }).selectOption('RS256');
    await page.getByRole('button', { name: 'Add claim' }).click();
    // The new row takes the focus.
    expect(await isFocused(page, 'Claim name')).toBe(true);
    await page.keyboard.type('nickname');
    await page.getByLabel('User field', { exact: true }).selectOption('givenName');
    await page.getByLabel('Audiences', { exact: true }).fill('https://reports.acme.example');
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await screenshots(page, 'client-new', scratch);

    // http is for loopback hosts only (RFC 8252 §7.3; docs/SECURITY.md AZ-08): the server refuses it.
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://evil.example/cb');
    await page.getByRole('button', { name: 'Create client' }).click();
    const redirectError = page.locator('.field', { has: page.getByLabel('Redirect URIs', { exact: true }) }).locator('.field-error');
    await redirectError.waitFor();
    expect(await redirectError.innerText()).toMatch(/^Redirect URI "http:\/\/evil\.example\/cb": http is allowed only on loopback hosts/);
    const redirect = page.getByLabel('Redirect URIs', { exact: true });
    expect(await redirect.getAttribute('aria-invalid')).toBe('true');
    expect(await redirect.getAttribute('aria-describedby')).toContain(await redirectError.getAttribute('id'));
    // The focus goes to the field to fix; everything typed is still there.
    expect(await isFocused(page, 'Redirect URIs')).toBe(true);
    expect(await page.getByLabel('Client ID (optional)', { exact: true }).inputValue()).toBe('acme-analytics');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Acme Analytics');
    expect(await redirect.inputValue()).toBe('http://evil.example/cb');
    expect(await page.getByLabel('Post-logout redirect URIs', { exact: true }).inputValue()).toBe('http://127.0.0.1:8123/');
    expect(await page.getByLabel('First-party', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('ID token signing algorithm', { exact: true }).inputValue()).toBe('RS256');
    expect(await page.getByLabel('Claim name', { exact: true }).inputValue()).toBe('nickname');
    expect(await page.getByLabel('User field', { exact: true }).inputValue()).toBe('givenName');
    expect(await page.getByLabel('Audiences', { exact: true }).inputValue()).toBe('https://reports.acme.example');
    // Only that field is marked.
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(1);
    await expectAccessible(page, 'new client form with a refused redirect URI');

    // A fragment is refused too (RFC 6749 §3.1.2).
    await redirect.fill('http://127.0.0.1:8123/callback#done');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByText(/must not contain a fragment/).waitFor();

    await redirect.fill('http://127.0.0.1:8123/callback');
    await page.getByRole('button', { name: 'Create client' }).click();
    await heading(page, 'Client created');
    const secret = (await page.locator('.secret code').innerText()).trim();
    expect(secret).toMatch(/^[\w-]{43}$/);
    await expect(page.getByText('Copy it now: it will not be shown again.').count()).resolves.toBe(1);
    await expect(page.getByRole('status').filter({ hasText: 'Created client “Acme Analytics”.' }).count()).resolves.toBe(1);
    await expectAccessible(page, 'client created, secret shown');
    await screenshots(page, 'client-secret', scratch);

    // Copy with the button, read back from the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(provider.issuer).origin });
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(secret);

    // A certified relying party with the copied secret: the whole code flow, ID token verified.
    const config = await oc.discovery(new URL(provider.issuer), 'acme-analytics', { id_token_signed_response_alg: 'RS256' }, oc.ClientSecretBasic(copied), { execute: [oc.allowInsecureRequests] });
    oc.enableNonRepudiationChecks(config);
    const verifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:8123/callback', scope: 'openid profile', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
    const { location } = await login(provider, { clientId: 'acme-analytics', redirectUri: 'http://127.0.0.1:8123/callback', username: user.username, password: user.password, scope: 'openid profile', state, nonce, challenge: url.searchParams.get('code_challenge') });
    const tokens = await oc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    // What the form set: the algorithm and the extra claim.
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'RS256' });
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: 'acme-analytics', nickname: 'Grace' });

    // On to the client's page: the secret is never shown again, not even after a reload.
    await page.getByRole('link', { name: 'Go to the client’s page' }).click();
    await heading(page, 'Acme Analytics');
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await heading(page, 'Acme Analytics');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Acme Analytics');
    expect(await page.content()).not.toContain(secret);
    await expectAccessible(page, 'client page');

    // The user's page shows the grant and the session of that sign-in; revoking the grant
    // there ends the relying party's tokens at once.
    expect((await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await heading(page, 'Users');
    await page.getByLabel('Search users').fill(user.username);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: user.username, exact: true }).click();
    await heading(page, user.username);
    const grant = page.getByRole('row').filter({ hasText: 'acme-analytics' });
    await grant.waitFor();
    expect(await page.getByRole('region', { name: /sessions/i }).getByRole('row').count()).toBeGreaterThan(1);
    await grant.getByRole('button', { name: /^Revoke grant / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke grant' }).click();
    await grant.getByText('Revoked', { exact: true }).waitFor();
    const refused = await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    console.assertNone();
    await context.close();
  });

  it('with the keyboard only: a public client, filled in and submitted, then found in the list', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/new');
    await heading(page, 'New client');
    await tabTo(page, 'Client ID (optional)');
    await page.keyboard.type('kiosk-spa');
    await tabTo(page, 'Name');
    await page.keyboard.type('Lobby kiosk');
    await tabTo(page, 'Public client');
    await page.keyboard.press('Space');
    await tabTo(page, 'Redirect URIs');
    await page.keyboard.type('https://kiosk.acme.example/callback');
    await page.keyboard.press('Enter');
    await page.keyboard.type('http://localhost:5173/callback');
    await tabTo(page, 'Allowed origins');
    await page.keyboard.type('https://kiosk.acme.example');
    await tabTo(page, 'Create client');
    await page.keyboard.press('Enter');
    await heading(page, 'Client created');
    // A public client: no secret to show.
    expect(await page.locator('.secret').count()).toBe(0);
    await page.getByText('A public client has no secret').waitFor();
    await tabTo(page, 'All clients');
    await page.keyboard.press('Enter');
    await heading(page, 'Clients');
    const row = page.getByRole('row', { name: /Lobby kiosk/ });
    await row.waitFor();
    expect(await row.locator('td').allInnerTexts()).toEqual(['Lobby kiosk', 'kiosk-spa', 'Public', '—', '2']);

    // What was registered is what was typed.
    const { body } = await gql(provider, 'query ($id: ID!) { client(id: $id) { public redirectUris allowedOrigins grantTypes responseTypes tokenEndpointAuthMethod } }', { id: 'kiosk-spa' }, await adminToken());
    expect(body.data.client).toEqual({ public: true, redirectUris: ['https://kiosk.acme.example/callback', 'http://localhost:5173/callback'], allowedOrigins: ['https://kiosk.acme.example'], grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'], tokenEndpointAuthMethod: 'none' });
    console.assertNone();
    await context.close();
  });
});

describe('a client with keys (private_key_jwt)', () => {
  it('CA-03 the method is chosen from a select; the JWK Set and its URL have their problems beside them; the client has no secret and its assertions work', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'svc-key', alg: 'ES256' };
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/new');
    await heading(page, 'New client');
    await page.getByLabel('Client ID (optional)', { exact: true }).fill('keyed-service');
    await page.getByLabel('Name', { exact: true }).fill('Keyed service');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('https://keyed.acme.example/callback');
    await page.getByLabel('Client authentication', { exact: true }).selectOption('private_key_jwt');
    const jwks = page.getByLabel('JWK Set', { exact: true });
    await jwks.waitFor();
    await expectAccessible(page, 'new client form with keys');

    // Not JSON: the form's own check, beside the field, which takes the focus.
    await jwks.fill('{"keys": [');
    await page.getByRole('button', { name: 'Create client' }).click();
    const jwksError = page.locator('.field', { has: jwks }).locator('.field-error');
    await jwksError.waitFor();
    expect(await jwksError.innerText()).toMatch(/not a JSON object/);
    expect(await jwks.getAttribute('aria-invalid')).toBe('true');
    expect(await jwks.getAttribute('aria-describedby')).toContain(await jwksError.getAttribute('id'));
    expect(await isFocused(page, 'JWK Set')).toBe(true);

    // A private key: the server's refusal, beside the same field.
    await jwks.fill(JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.locator('.field', { has: jwks }).locator('.field-error', { hasText: /private member "d"/ }).waitFor();
    await expectAccessible(page, 'new client form with a refused JWK Set');

    await jwks.fill(JSON.stringify({ keys: [publicJwk] }));
    await page.getByRole('button', { name: 'Create client' }).click();
    await heading(page, 'Client created');
    expect(await page.locator('.secret').count()).toBe(0);
    await page.getByText('This client has no secret').waitFor();

    // Its assertions authenticate it at once.
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomBytes(8).toString('hex') }).setProtectedHeader({ alg: 'ES256', kid: 'svc-key' }).setIssuer('keyed-service').setSubject('keyed-service').setAudience(`${provider.issuer}/token`).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    const code = await fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://keyed.acme.example/callback', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    // Authenticated: the (made-up) code is what fails, not the client.
    expect(((await code.json()) as { error: string }).error).toBe('invalid_grant');

    // On its page: the keys move to a URL, which must be https.
    await page.goto(`${provider.issuer}/admin/clients/keyed-service`);
    await heading(page, 'Keyed service');
    expect(await page.getByLabel('Client authentication', { exact: true }).inputValue()).toBe('private_key_jwt');
    await page.getByLabel('Public keys', { exact: true }).selectOption('jwksUri');
    const uri = page.getByLabel('JWK Set URL', { exact: true });
    await uri.fill('http://keys.acme.example/jwks.json');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const uriError = page.locator('.field', { has: uri }).locator('.field-error');
    await uriError.waitFor();
    expect(await uriError.innerText()).toMatch(/^Must be an https URL/);
    expect(await uri.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'client page with a refused JWK Set URL');
    await uri.fill('https://keys.acme.example/jwks.json');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/Saved/).first().waitFor();
    const { body } = await gql(provider, 'query ($id: ID!) { client(id: $id) { public tokenEndpointAuthMethod jwks jwksUri } }', { id: 'keyed-service' }, await adminToken());
    expect(body.data.client).toEqual({ public: false, tokenEndpointAuthMethod: 'private_key_jwt', jwks: null, jwksUri: 'https://keys.acme.example/jwks.json' });
    console.assertNone();
    await context.close();
  });
});

describe('a client with a secret JWT (client_secret_jwt)', () => {
  it('CA-11 the method is chosen from the select; the secret is shown once, and assertions MACed with it authenticate the client', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/new');
    await heading(page, 'New client');
    await page.getByLabel('Client ID (optional)', { exact: true }).fill('maced-service');
    await page.getByLabel('Name', { exact: true }).fill('MACed service');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('https://maced.acme.example/callback');
    await page.getByLabel('Client authentication', { exact: true }).selectOption('client_secret_jwt');
    expect(await page.getByLabel('JWK Set', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Create client' }).click();
    await heading(page, 'Client created');
    const secret = (await page.locator('.clients-secret-value').innerText()).trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{86}$/);
    await page.getByText(/keeps it encrypted/).waitFor();
    await expectAccessible(page, 'client_secret_jwt client created');

    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomBytes(8).toString('hex') }).setProtectedHeader({ alg: 'HS256' }).setIssuer('maced-service').setSubject('maced-service').setAudience(`${provider.issuer}/token`).setIssuedAt(now).setExpirationTime(now + 60).sign(new TextEncoder().encode(secret));
    const code = await fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://maced.acme.example/callback', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    // Authenticated: the (made-up) code is what fails, not the client.
    expect(((await code.json()) as { error: string }).error).toBe('invalid_grant');

    await page.goto(`${provider.issuer}/admin/clients/maced-service`);
    await heading(page, 'MACed service');
    expect(await page.getByLabel('Client authentication', { exact: true }).inputValue()).toBe('client_secret_jwt');
    console.assertNone();
    await context.close();
  });
});

describe('a client’s page', () => {
  it('changes redirect URIs, adds an extra claim and a user restriction, requires two-step sign-in (PL-07), pushed authorization requests (PAR-05) and DPoP-bound tokens (DP-12); a reload shows them', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/helpdesk');
    await heading(page, 'Helpdesk');
    const redirect = page.getByLabel('Redirect URIs', { exact: true });
    expect(await redirect.inputValue()).toBe('https://help.acme.example/oidc/callback');
    await redirect.fill('https://help.acme.example/oidc/callback\nhttps://help.acme.example/oidc/silent\n');

    await page.getByRole('button', { name: 'Add claim' }).click();
    const claim = page.getByRole('group', { name: 'Claim 1' });
    await claim.getByLabel('Claim name', { exact: true }).fill('team_email');
    await claim.getByLabel('User field', { exact: true }).selectOption('email');
    await claim.getByLabel('Scope', { exact: true }).fill('email');
    await page.getByRole('button', { name: 'Add restriction' }).click();
    // The new row's first control has the focus.
    expect(await page.evaluate(() => document.activeElement?.closest('[role="group"]')?.getAttribute('aria-label'))).toBe('Restriction 1');
    const restriction = page.getByRole('group', { name: 'Restriction 1' });
    await restriction.getByLabel('User field', { exact: true }).selectOption('username');
    await restriction.getByLabel('Equals', { exact: true }).fill('temp.contractor');
    // A row added by mistake, removed again: the focus goes back to the add button.
    await page.getByRole('button', { name: 'Add restriction' }).click();
    await page.getByRole('button', { name: 'Remove restriction 2' }).click();
    expect(await focusedName(page)).toBe('Add restriction');
    await expectAccessible(page, 'client form with claim and restriction rows');

    // The server's refusal of a logo beside its field; the rows stay.
    await page.getByLabel('Logo URI', { exact: true }).fill('http://help.acme.example/logo.png');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const logoError = page.locator('.field', { has: page.getByLabel('Logo URI', { exact: true }) }).locator('.field-error');
    await logoError.waitFor();
    expect(await logoError.innerText()).toMatch(/https URL/);
    expect(await claim.getByLabel('Claim name', { exact: true }).inputValue()).toBe('team_email');
    await page.getByLabel('Logo URI', { exact: true }).fill('');
    const requireMfa = page.getByLabel('Require two-step sign-in', { exact: true });
    expect(await requireMfa.isChecked()).toBe(false);
    await requireMfa.check();
    const requirePar = page.getByLabel('Require pushed authorization requests', { exact: true });
    expect(await requirePar.isChecked()).toBe(false);
    await requirePar.check();
    const requireDpop = page.getByLabel('Require DPoP-bound tokens', { exact: true });
    expect(await requireDpop.isChecked()).toBe(false);
    await requireDpop.check();

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await page.locator('.field-error').count()).toBe(0);

    await page.reload();
    await heading(page, 'Helpdesk');
    expect(await page.getByLabel('Redirect URIs', { exact: true }).inputValue()).toBe('https://help.acme.example/oidc/callback\nhttps://help.acme.example/oidc/silent');
    const reloadedClaim = page.getByRole('group', { name: 'Claim 1' });
    expect(await reloadedClaim.getByLabel('Claim name', { exact: true }).inputValue()).toBe('team_email');
    expect(await reloadedClaim.getByLabel('User field', { exact: true }).inputValue()).toBe('email');
    expect(await reloadedClaim.getByLabel('Scope', { exact: true }).inputValue()).toBe('email');
    const reloadedRestriction = page.getByRole('group', { name: 'Restriction 1' });
    expect(await reloadedRestriction.getByLabel('User field', { exact: true }).inputValue()).toBe('username');
    expect(await reloadedRestriction.getByLabel('Equals', { exact: true }).inputValue()).toBe('temp.contractor');
    expect(await page.getByRole('group', { name: 'Restriction 2' }).count()).toBe(0);
    expect(await page.getByLabel('Logo URI', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Require two-step sign-in', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Require pushed authorization requests', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Require DPoP-bound tokens', { exact: true }).isChecked()).toBe(true);
    const saved = await gql(provider, '{ client(id: "helpdesk") { requireMfa requirePar requireDpop } }', undefined, await adminToken());
    expect(saved.body.data?.client, saved.text).toEqual({ requireMfa: true, requirePar: true, requireDpop: true });

    // Saving again without a change sends nothing.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Nothing to save' }).waitFor();
    console.assertNone();
    await context.close();
  });

  it('rotates the secret (Cancel changes nothing; the old secret is refused at once, the new one works) and deletes the client', async () => {
    const exporter = await provider.createClient({ id: 'nightly-export', name: 'Nightly export', redirectUris: [], grantTypes: ['client_credentials'] });
    const old = { clientId: exporter.clientId, clientSecret: exporter.clientSecret! };
    await clientToken(provider, old);
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/nightly-export');
    await heading(page, 'Nightly export');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/old secret stops working at once/);
    await expectAccessible(page, 'rotate secret dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.locator('.secret').count()).toBe(0);
    await clientToken(provider, old);

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('.secret code').waitFor();
    const fresh = (await page.locator('.secret code').innerText()).trim();
    expect(fresh).not.toBe(old.clientSecret);
    const refused = await tokenRequest(provider, { grant_type: 'client_credentials' }, old);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    await clientToken(provider, { clientId: old.clientId, clientSecret: fresh });
    await expectAccessible(page, 'new secret shown');

    await page.getByRole('button', { name: 'Delete client' }).click();
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/applications using it can no longer sign users in/);
    await expectAccessible(page, 'delete client dialog');
    await dialog.getByRole('button', { name: 'Delete client' }).click();
    await heading(page, 'Clients');
    await page.getByRole('status').filter({ hasText: 'Deleted client “Nightly export”.' }).waitFor();
    expect(await page.getByRole('link', { name: 'Nightly export' }).count()).toBe(0);
    expect((await tokenRequest(provider, { grant_type: 'client_credentials' }, { clientId: old.clientId, clientSecret: fresh })).status).toBe(401);

    await page.goto(`${provider.issuer}/admin/clients/nightly-export`);
    await heading(page, 'No such client');
    await expectAccessible(page, 'no such client');
    console.assertNone();
    await context.close();
  });

  it('the admin console’s own client is shown read-only: no form, no new secret, no deletion', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients/jwt-oidc-console');
    await heading(page, 'Admin console');
    await page.getByText('This is the admin console’s own client').waitFor();
    expect(await page.locator('form').count()).toBe(0);
    for (const name of ['Save changes', 'Rotate secret', 'Delete client']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    expect(await page.locator('main').innerText()).toContain(`${provider.issuer}/admin/callback`);
    await expectAccessible(page, 'the console client, read-only');
    // The API refuses the change anyway, saying why.
    const { body } = await gql(provider, 'mutation { updateClient(id: "jwt-oidc-console", input: { name: "Mine" }) { id } }', undefined, await adminToken());
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/managed by the service/), extensions: { code: 'BAD_USER_INPUT' } });
    console.assertNone();
    await context.close();
  });
});

describe('the list', () => {
  it('searches and pages through more than 20 clients', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/clients');
    await heading(page, 'Clients');
    await page.getByRole('link', { name: 'Acme Shop' }).waitFor();
    const shop = page.getByRole('row', { name: /Acme Shop/ });
    expect(await shop.locator('td').allInnerTexts()).toEqual(['Acme Shop', 'acme-shop', 'Confidential', 'First-party', '2']);
    await expect(page.getByRole('row', { name: /Billing worker/ }).getByText('Admin').count()).resolves.toBe(1);
    await expect(page.getByRole('row', { name: /Admin console/ }).getByText('Managed by the service').count()).resolves.toBe(1);
    await expectAccessible(page, 'clients list');
    await screenshots(page, 'clients', scratch);

    await Promise.all(Array.from({ length: 23 }, (_, i) => provider.createClient({ id: `vehicle-${String(i).padStart(2, '0')}`, name: `Fleet vehicle ${String(i).padStart(2, '0')}`, redirectUris: [`https://fleet.acme.example/v${i}/callback`] })));
    await page.getByLabel('Search clients').fill('fleet');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Clients matching “fleet”' }).waitFor();
    expect(new URL(page.url()).search).toBe('?search=fleet');
    const links = page.locator('tbody a');
    await page.getByRole('link', { name: 'Fleet vehicle 19' }).waitFor();
    expect(await links.allInnerTexts()).toEqual(Array.from({ length: 20 }, (_, i) => `Fleet vehicle ${String(i).padStart(2, '0')}`));
    const pager = page.getByRole('navigation', { name: 'Clients pages' });
    await expectAccessible(page, 'clients search with pages');
    await pager.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('link', { name: 'Fleet vehicle 22' }).waitFor();
    expect(await links.allInnerTexts()).toEqual(['Fleet vehicle 20', 'Fleet vehicle 21', 'Fleet vehicle 22']);
    expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await page.getByRole('link', { name: 'Fleet vehicle 00' }).waitFor();
    expect(await links.count()).toBe(20);

    // By client ID too, and a search that finds nothing says so.
    await page.getByLabel('Search clients').fill('vehicle-07');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Clients matching “vehicle-07”' }).waitFor();
    await page.getByRole('link', { name: 'Fleet vehicle 07' }).waitFor();
    expect(await links.allInnerTexts()).toEqual(['Fleet vehicle 07']);
    await page.getByLabel('Search clients').fill('no such thing');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No client matches “no such thing”.').waitFor();
    await page.getByRole('button', { name: 'Show all clients' }).click();
    await page.getByRole('heading', { name: 'All clients' }).waitFor();
    await page.getByRole('link', { name: 'Acme Shop' }).waitFor();
    console.assertNone();
    await context.close();
  });
});
