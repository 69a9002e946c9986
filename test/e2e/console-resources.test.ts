/**
 * The console's Resources pages (docs/CONSOLE.md) in Chromium against a real provider:
 * registering a resource (a refused identifier beside its field, then a good one, whose token a
 * client gets at once), editing its scopes and lifetime, and deleting it behind a confirmation.
 * Every state passes axe-core under the console's CSP.
 */
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, openConsole } from '../support/console.js';
import { startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let admin: { id: string; username: string; password: string };
let svc: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider(), launchBrowser()]);
  admin = await provider.createUser({ username: 'ada.lovelace', admin: true });
  svc = await provider.createClient({ id: 'billing-worker', name: 'Billing worker', redirectUris: [], grantTypes: ['client_credentials'] });
  await provider.provider!.resources.create({ id: 'https://invoices.acme.example/api', scopes: ['invoices:read'], accessTokenLifetime: 300 });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

const cc = (resource: string, scope: string) => tokenRequest(provider, { grant_type: 'client_credentials', scope, resource }, svc);

describe('the Resources pages', () => {
  it('lists, creates (a refused identifier beside its field), edits and deletes a resource behind a confirmation', async () => {
    const { context, page, console } = await openConsole(browser, provider, admin, '/');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Resources' }).click();
    await heading(page, 'Resources');
    await page.getByRole('link', { name: 'https://invoices.acme.example/api' }).waitFor();
    expect(await page.getByRole('table', { name: 'Resources' }).innerText()).toContain('300 s');
    await expectAccessible(page, 'resources list');

    await page.getByRole('link', { name: 'Create resource' }).click();
    await heading(page, 'New resource');
    await expectAccessible(page, 'new resource form');
    await page.getByLabel('Identifier (URI)').fill('https://orders.acme.example/api#v1');
    await page.getByLabel('Scopes').fill('orders:read\norders:write');
    await page.getByRole('button', { name: 'Create resource' }).click();
    const error = page.locator('.field-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/fragment/);
    expect(await page.getByLabel('Identifier (URI)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Scopes').inputValue()).toBe('orders:read\norders:write');
    await expectAccessible(page, 'new resource form with a refused identifier');

    await page.getByLabel('Identifier (URI)').fill('https://orders.acme.example/api');
    await page.getByLabel('Access token lifetime (seconds)').fill('120');
    await page.getByRole('button', { name: 'Create resource' }).click();
    await heading(page, 'Resources');
    await page.getByText('Created resource https://orders.acme.example/api.').waitFor();
    const issued = (await (await cc('https://orders.acme.example/api', 'orders:write')).json()) as { access_token: string; expires_in: number };
    expect(decodeJwt(issued.access_token)).toMatchObject({ aud: 'https://orders.acme.example/api', scope: 'orders:write' });
    expect(issued.expires_in).toBe(120);

    await page.getByRole('link', { name: 'https://orders.acme.example/api' }).click();
    await heading(page, 'https://orders.acme.example/api');
    await expectAccessible(page, 'resource page');
    await page.getByLabel('Scopes').fill('orders:read');
    await page.getByLabel('Access token lifetime (seconds)').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await (await cc('https://orders.acme.example/api', 'orders:write')).json()).toMatchObject({ error: 'invalid_scope' });
    expect(((await (await cc('https://orders.acme.example/api', 'orders:read')).json()) as { expires_in: number }).expires_in).toBe(600);

    await page.getByRole('button', { name: 'Delete resource' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/invalid_target/);
    await expectAccessible(page, 'delete resource dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await cc('https://orders.acme.example/api', 'orders:read')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete resource' }).click();
    await dialog.getByRole('button', { name: 'Delete resource' }).click();
    await heading(page, 'Resources');
    await page.getByText('Deleted resource https://orders.acme.example/api.').waitFor();
    expect(await page.getByRole('link', { name: 'https://orders.acme.example/api' }).count()).toBe(0);
    expect(await (await cc('https://orders.acme.example/api', 'orders:read')).json()).toMatchObject({ error: 'invalid_target' });
    await expectAccessible(page, 'resources list after a deletion');
    console.assertNone();
    await context.close();
  });

  it('an unknown resource\'s page says so', async () => {
    const { context, page } = await openConsole(browser, provider, admin, `/resources/${encodeURIComponent('https://none.acme.example/')}`);
    await heading(page, 'No such resource');
    await expectAccessible(page, 'no such resource');
    await context.close();
  });
});
