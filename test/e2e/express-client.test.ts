/**
 * `oidcClient` from the package entry `@jwt-oidc/express`, as an app would use it: five lines of
 * configuration against our provider (access tokens living two seconds), then
 * `req.getAccessToken()` across expiries — a refresh when expired, one refresh per session when
 * requests race, and a session that ends cleanly when the provider refuses the refresh.
 * And `discoveryEndpoint`'s one meaning in its two forms (the issuer, or its
 * `/.well-known/openid-configuration` URL), in the package and in the service's client mode.
 */
import type { Server } from 'node:http';
import express from 'express';
import { oidcClient, RelyingParty } from '@jwt-oidc/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startBff } from '../support/client-mode.js';
import { browse, CookieJar, throughLoginPages, startProvider, type TestProvider } from '../support/provider.js';
import { query, testDatabase } from '../support/database.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('@jwt-oidc/express oidcClient against the provider', () => {
  let provider: TestProvider;
  let server: Server;
  let appUrl: string;
  let sessionsDb: Awaited<ReturnType<typeof testDatabase>>;
  let alice: { id: string; username: string };
  let clientId: string;
  const errors: unknown[] = [];
  let login: ReturnType<typeof oidcClient> | undefined;

  beforeAll(async () => {
    provider = await startProvider({ JWT_OIDC_JWT_ACCESS_TOKEN_EXPIRATION_TIME: '2', JWT_OIDC_MAX_REFRESH: '100' });
    alice = await provider.createUser({ givenName: 'Alice' });
    sessionsDb = await testDatabase();
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const client = await provider.createClient({ redirectUris: [`${appUrl}/openid/callback`], grantTypes: ['authorization_code', 'refresh_token'] });
    clientId = client.clientId;

    const app = express();
    app.use(
      (login = oidcClient({
        discoveryEndpoint: provider.issuer,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        baseUrl: appUrl,
        databaseUrl: sessionsDb.url,
        scope: 'openid profile offline_access',
        allowInsecureRequests: true, // the provider is on loopback over http
        onError: (e) => errors.push(e),
      })),
    );
    app.get('/token', async (req, res) => {
      const token = await req.getAccessToken();
      res.json({ token: token ?? null, loggedIn: req.oidc.loggedIn, sub: req.userClaims?.sub ?? null, userinfo: req.userinfo ?? null });
    });
    await new Promise<void>((resolve) => {
      server = app.listen(port, '127.0.0.1', () => resolve());
    });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await login?.close();
    await sessionsDb?.drop();
    await provider?.close();
  });

  async function loggedIn(): Promise<CookieJar> {
    const jar = new CookieJar();
    const start = await browse(jar, `${appUrl}/openid/login`);
    const callback = await throughLoginPages(jar, start.headers.get('location')!, { username: alice.username });
    const done = await browse(jar, callback.toString());
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    return jar;
  }

  async function token(jar: CookieJar): Promise<{ token: string | null; loggedIn: boolean; sub: string | null; userinfo: Record<string, unknown> | null }> {
    const res = await browse(jar, `${appUrl}/token`);
    expect(res.status).toBe(200);
    return res.json();
  }

  async function userinfoStatus(accessToken: string): Promise<number> {
    return (await fetch(`${provider.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  }

  it('logs in; the access token works at the provider; req.userClaims and req.userinfo are set', async () => {
    const jar = await loggedIn();
    const first = await token(jar);
    expect(first).toMatchObject({ loggedIn: true, sub: alice.id, userinfo: { sub: alice.id, given_name: 'Alice' } });
    expect(await userinfoStatus(first.token!)).toBe(200);
    // Not expired yet: the same token, no refresh.
    expect((await token(jar)).token).toBe(first.token);
  });

  it('refreshes an expired access token; racing requests share one refresh', async () => {
    const jar = await loggedIn();
    const first = (await token(jar)).token!;
    await sleep(2200);
    const second = await token(jar);
    expect(second.token).not.toBe(first);
    expect(await userinfoStatus(second.token!)).toBe(200);
    expect(second.userinfo).toMatchObject({ sub: alice.id });

    await sleep(2200);
    const racing = await Promise.all(Array.from({ length: 6 }, () => token(jar)));
    const tokens = new Set(racing.map((r) => r.token));
    // One refresh: every request got the same new token (a second refresh would have used the
    // rotated refresh token again and been refused, ending the session).
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(second.token);
    expect(await userinfoStatus([...tokens][0]!)).toBe(200);
    expect(racing.every((r) => r.loggedIn)).toBe(true);
  });

  it('a refused refresh ends the session cleanly: no token, logged out, the session row deleted', async () => {
    const jar = await loggedIn();
    expect((await token(jar)).loggedIn).toBe(true);
    const before = await query<{ n: number }>(sessionsDb.url, 'select count(*)::int as n from jwt_oidc_rp_sessions');
    // The provider revokes the grant (an administrator, a password change…).
    await query(provider.databaseUrl, 'delete from grants where client_id = $1', [clientId]);
    await sleep(2200);
    const after = await token(jar);
    expect(after).toMatchObject({ token: null, loggedIn: false, sub: null });
    expect(errors.length).toBeGreaterThan(0);
    const rows = await query<{ n: number }>(sessionsDb.url, 'select count(*)::int as n from jwt_oidc_rp_sessions');
    expect(rows[0]!.n).toBe(before[0]!.n - 1);
    expect((await token(jar)).loggedIn).toBe(false);
  });
});

describe('discoveryEndpoint: the issuer or its discovery URL, one meaning in @jwt-oidc/express and in the client mode', () => {
  let provider: TestProvider;
  const WELL_KNOWN = '/.well-known/openid-configuration';

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider?.close();
  });

  const rpFor = (discoveryEndpoint: string) => new RelyingParty({ discoveryEndpoint, clientId: 'app', clientSecret: 's', redirectUri: 'http://127.0.0.1:9/cb', allowInsecureRequests: true });

  it('RelyingParty: both forms discover the same provider and start a login at its authorization endpoint', async () => {
    for (const endpoint of [provider.issuer, `${provider.issuer}${WELL_KNOWN}`]) {
      const { url } = await rpFor(endpoint).startLogin('/');
      expect(url.startsWith(`${provider.issuer}/authorize?`), endpoint).toBe(true);
    }
  });

  it('RelyingParty: the metadata must name the issuer exactly (OIDC Discovery §4.3): a trailing slash is another issuer', async () => {
    await expect(rpFor(`${provider.issuer}/`).startLogin('/')).rejects.toThrow(/issuer/);
  });

  it('a URL that is neither form is refused when configured, by oidcClient too', () => {
    for (const endpoint of [`${provider.issuer}${WELL_KNOWN}?tenant=1`, `${provider.issuer}/#x`, `${provider.issuer}${WELL_KNOWN}/tenant`]) {
      expect(() => rpFor(endpoint), endpoint).toThrow(TypeError);
      expect(() => oidcClient({ discoveryEndpoint: endpoint, clientId: 'app', clientSecret: 's', baseUrl: 'http://127.0.0.1:9', onWarning: () => undefined }), endpoint).toThrow(/discoveryEndpoint/);
    }
  });

  it('the service in client mode: JWT_OIDC_DISCOVERY_ENDPOINT as the issuer or as its discovery URL, the login goes to the provider either way', async () => {
    for (const endpoint of [provider.issuer, `${provider.issuer}${WELL_KNOWN}`]) {
      const port = await freePort();
      const client = await provider.createClient({ redirectUris: [`http://127.0.0.1:${port}/openid/callback`] });
      const bff = await startBff(port, endpoint, { JWT_OIDC_CLIENT_ID: client.clientId, JWT_OIDC_CLIENT_SECRET: client.clientSecret! });
      try {
        const start = await browse(new CookieJar(), `${bff.url}/openid/login`);
        expect([302, 303], endpoint).toContain(start.status);
        expect(start.headers.get('location')!.startsWith(`${provider.issuer}/authorize?`), endpoint).toBe(true);
      } finally {
        await bff.close();
      }
    }
  });
});
