/**
 * `oidcClient` from the package entry `@jwt-oidc/express`, as an app would use it: five lines of
 * configuration against our provider (access tokens living two seconds), then
 * `req.getAccessToken()` across expiries — a refresh when expired, one refresh per session when
 * requests race, and a session that ends cleanly when the provider refuses the refresh.
 */
import type { Server } from 'node:http';
import express from 'express';
import { oidcClient } from '@jwt-oidc/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/client-mode.js';
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
