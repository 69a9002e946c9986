/**
 * A client known only by its metadata document (draft-ietf-oauth-client-id-metadata-document), in
 * Chromium: the sign-in page, then the consent page that names the document's host beside the
 * name the document gave, then the application with a code that redeems (PKCE). The document is
 * served over HTTPS on loopback by a test CA's certificate; the pages pass axe-core at 375 and
 * 1280 px under their real CSP, with no console error (docs/SECURITY.md CM-01, CM-02).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { landingPage, launchBrowser } from '../support/browser.js';
import { DocumentServer } from '../support/https-documents.js';
import { authorizeUrl, pkcePair, startProvider, tokenRequest, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let rp: Awaited<ReturnType<typeof landingPage>>;
const docs = new DocumentServer();

beforeAll(async () => {
  rp = await landingPage('Inspector');
  await docs.start();
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_CLIENT_ID_METADATA_ALLOW_LOOPBACK: 'true' }, { captureLogs: true }), launchBrowser()]);
  Object.assign(provider.provider!.clientDocuments.options, { testCa: docs.ca, lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  await docs?.close();
  rp?.close();
});

describe('a metadata-document client in the browser', () => {
  it('CM-01 sign-in → consent naming "MCP Inspector at app.cimd.test" → the application with a code that redeems', async () => {
    const clientId = docs.url('/inspector.json', 'app.cimd.test');
    const redirectUri = `${rp.origin}/callback`;
    docs.serve('/inspector.json', { client_id: clientId, client_name: 'MCP Inspector', redirect_uris: [redirectUri], application_type: 'native', token_endpoint_auth_method: 'none' }, { 'cache-control': 'max-age=600' });
    const user = await provider.createUser();
    const { verifier, challenge } = pkcePair();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchConsole(page);

    await page.goto(authorizeUrl(provider, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile', state: 'st-cimd', code_challenge: challenge, code_challenge_method: 'S256' }));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectAccessible(page, 'sign-in of a metadata-document client');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const heading = page.getByRole('heading', { level: 1 });
    await heading.filter({ hasText: 'wants to access your account' }).waitFor();
    expect(await heading.innerText()).toBe(`MCP Inspector at app.cimd.test:${docs.port} wants to access your account`);
    expect(await page.getByText('This application is not registered with this service').innerText()).toContain(`app.cimd.test:${docs.port}`);
    await expectAccessible(page, 'consent naming the document\'s host');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL((u) => u.toString().startsWith(redirectUri));
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('st-cimd');
    const res = await tokenRequest(provider, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier }, { clientId });
    expect(res.status).toBe(200);
    expect(docs.hits.get('/inspector.json')).toBe(1);
    errors.assertNone();
    await context.close();
  });
});
