/**
 * The fake mode is the provider with another login step (docs/ARCHITECTURE.md "The fake mode"),
 * so the provider's suites hold in it too: the authorization and token endpoints' suites run
 * again here against a server started with JWT_OIDC_TYPE=fake, signing in on the fake's page
 * (test/support/provider.ts TEST_MODE).
 * The fake-mode files are a project of their own, isolated (vitest.config.ts): they set the
 * mode before the suites are loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env.JWT_OIDC_TEST_MODE = 'fake';
const { CookieJar, fakeLoginPage, login, pkcePair, startProvider } = await import('../support/provider.js');

describe('the suites below run in the fake mode', () => {
  let p: Awaited<ReturnType<typeof startProvider>>;
  beforeAll(async () => {
    p = await startProvider();
  });
  afterAll(() => p?.close());

  it('startProvider starts the fake mode, and users sign in on the fake\'s page as their subject', async () => {
    expect(p.settings.type).toBe('fake');
    const user = await p.createUser();
    const rp = await p.createClient({ firstParty: true });
    const url = `${p.issuer}/authorize?${new URLSearchParams({ client_id: rp.clientId, redirect_uri: rp.redirectUri, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`;
    const { html } = await fakeLoginPage(new CookieJar(), url);
    expect(html).toContain('Fake provider: for development only');
    expect(html).toContain(`name="identity" value="${user.id}"`);
    const { location } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid' });
    expect(location.searchParams.get('code')).toBeTruthy();
  });
});

describe('the two-step policy does not reach the fake mode (its page chooses acr and amr)', () => {
  it('PL-08 with JWT_OIDC_MFA=required and a client with requireMfa, the fake\'s sign-in ends at the client as chosen: no set-up page', async () => {
    const p = await startProvider({ JWT_OIDC_MFA: 'required' });
    try {
      const user = await p.createUser();
      for (const requireMfa of [false, true]) {
        const rp = await p.createClient({ firstParty: true, requireMfa });
        const { location } = await login(p, { clientId: rp.clientId, redirectUri: rp.redirectUri, username: user.username, scope: 'openid' });
        expect(location.pathname).not.toMatch(/enrol/);
        expect(location.searchParams.get('code'), location.toString()).toBeTruthy();
      }
    } finally {
      await p.close();
    }
  });
});

await import('../security/authorize.test.js');
await import('../security/token.test.js');
