/**
 * The admin console and the account page in Chromium under JWT_OIDC_REQUIRE_PAR=true: both read
 * `require_pushed_authorization_requests` from discovery, push their authorization request to
 * `/par`, and send the browser to `/authorize` with only `client_id` and `request_uri` (RFC 9126
 * §4) — so that requiring PAR of every client does not lock the administrators out (PAR-05).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { heading, signInOnProviderPage } from '../support/console.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let browser: Browser;
let admin: { id: string; username: string; password: string };
beforeAll(async () => {
  [provider, browser] = await Promise.all([startProvider({ JWT_OIDC_REQUIRE_PAR: 'true' }), launchBrowser()]);
  admin = await provider.createUser({ username: 'ada.lovelace', givenName: 'Ada', admin: true });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

describe('the service\'s own pages when every client must push (PAR-05)', () => {
  for (const [name, mount, title] of [
    ['the admin console', '/admin', 'Overview'],
    ['the account page', '/account', 'Your account'],
  ] as const) {
    it(`${name} pushes its request to /par and signs in with only client_id and request_uri in the browser`, async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const errors = watchConsole(page);
        const pushes: string[] = [];
        const authorize: URL[] = [];
        page.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname === '/par') pushes.push(request.method());
          if (url.pathname === '/authorize') authorize.push(url);
        });
        await page.goto(`${provider.issuer}${mount}`);
        await signInOnProviderPage(page, admin);
        await page.waitForURL((u) => u.pathname.startsWith(mount) && u.pathname !== `${mount}/callback`);
        await heading(page, title);
        expect(pushes).toEqual(['POST']);
        expect(authorize).toHaveLength(1);
        expect([...authorize[0]!.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
        errors.assertNone();
        await expectAccessible(page, `${name} signed in under JWT_OIDC_REQUIRE_PAR`);
      } finally {
        await context.close();
      }
    });
  }
});
