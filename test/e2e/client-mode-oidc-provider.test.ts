/**
 * TYPE=client (a BFF) and `oidcClient` from `@jwt-oidc/express` against a THIRD-PARTY upstream:
 * `oidc-provider` 9 (a certified OpenID Provider), started here on loopback with its built-in
 * development login and consent pages. A browser (cookie jar) fills those pages as a person
 * would; the BFF's callback creates local users per CREATE_USER and the attribute mapping, `me`
 * answers from the session cookie and from upstream JWT access tokens whose audience is the BFF,
 * `req.getAccessToken()` refreshes across expiries and ends the session when the upstream
 * revokes the grant, and logout ends both sessions (RP-initiated logout at oidc-provider).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { oidcClient } from '@jwt-oidc/express';
// oidc-provider ships no type declarations; the little used here is typed below.
// @ts-expect-error -- untyped ESM package
import ProviderModule, { errors as providerErrors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, logoutViaForm, meViaSession, startBff, type Bff } from '../support/client-mode.js';
import { query, testDatabase } from '../support/database.js';
import { browse, CookieJar, gql, pkcePair, postForm } from '../support/provider.js';

interface OidcProvider {
  issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
const Provider = ProviderModule as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
const InvalidTarget = (providerErrors as { InvalidTarget: new (description?: string) => Error }).InvalidTarget;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secret = () => randomBytes(24).toString('base64url');
const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const decodeHtml = (s: string) =>
  s.replace(/&(amp|quot|#39|#x27|lt|gt|#x2F|#47);/g, (_, e: string) => ({ amp: '&', quot: '"', '#39': "'", '#x27': "'", lt: '<', gt: '>', '#x2F': '/', '#47': '/' })[e]!);

/** The first form of a page, as a browser sees it: where it posts, and its inputs (name → value). */
function parseForm(html: string): { action: string; method: string; inputs: Map<string, { type: string; value: string }> } {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html.slice(0, 800)}`);
  const attr = (tag: string, name: string) => {
    const m = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
    return m ? decodeHtml(m[1]!) : undefined;
  };
  const inputs = new Map<string, { type: string; value: string }>();
  for (const [tag] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(tag, 'name');
    if (name) inputs.set(name, { type: (attr(tag, 'type') ?? 'text').toLowerCase(), value: attr(tag, 'value') ?? '' });
  }
  return { action: attr(form[1]!, 'action') ?? '', method: (attr(form[1]!, 'method') ?? 'get').toLowerCase(), inputs };
}

describe('client mode against oidc-provider, a third-party upstream', () => {
  let opServer: Server;
  let issuer: string;
  let discovery: string;
  let metadata: { authorization_endpoint: string; token_endpoint: string; userinfo_endpoint: string; end_session_endpoint: string; revocation_endpoint: string };

  /** The BFF with CREATE_USER, the attribute mapping and a logout redirect. */
  let bff: Bff;
  /** A BFF that never creates local users. */
  let bffNoUsers: Bff;
  /** A BFF that identifies local users by their e-mail claim. */
  let bffByEmail: Bff;
  /** A plain Express app with `oidcClient` (its client's access tokens live two seconds). */
  let appUrl: string;
  let app: Server;
  let appRouter: ReturnType<typeof oidcClient> | undefined;
  let appSessions: Awaited<ReturnType<typeof testDatabase>>;
  const appErrors: unknown[] = [];

  const clients = {
    bff: { id: 'bff-main', secret: secret() },
    noUsers: { id: 'bff-no-users', secret: secret() },
    byEmail: { id: 'bff-by-email', secret: secret() },
    app: { id: 'express-app', secret: secret() },
    spa: { id: 'spa', secret: secret(), redirectUri: 'http://127.0.0.1:9/cb' },
  };
  /** Resource indicators at oidc-provider: the BFF's API (audience: its client id) and another API. */
  const BFF_API = 'urn:test:bff-api';
  const OTHER_API = 'urn:test:other-api';

  beforeAll(async () => {
    // The upstream listens first: its issuer names its port.
    let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end();
    opServer = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => opServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(opServer.address() as AddressInfo).port}`;
    discovery = `${issuer}/.well-known/openid-configuration`;

    // Callback URLs are registered before the relying parties start.
    const [bffPort, noUsersPort, byEmailPort, appPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const origin = (port: number) => `http://127.0.0.1:${port}`;
    appUrl = origin(appPort!);
    const webClient = (c: { id: string; secret: string }, url: string) => ({
      client_id: c.id,
      client_secret: c.secret,
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${url}/openid/callback`],
      post_logout_redirect_uris: [`${url}/signed-out`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });

    const op = new Provider(issuer, {
      clients: [
        webClient(clients.bff, origin(bffPort!)),
        webClient(clients.noUsers, origin(noUsersPort!)),
        webClient(clients.byEmail, origin(byEmailPort!)),
        webClient(clients.app, appUrl),
        { ...webClient(clients.spa, ''), redirect_uris: [clients.spa.redirectUri], post_logout_redirect_uris: [] },
      ],
      // Any login name is an account; its claims follow from the name.
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, given_name: capitalized(id), family_name: 'Upstream', name: `${capitalized(id)} Upstream` }),
      }),
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'name'] },
      scopes: ['openid', 'offline_access', 'profile', 'email'],
      // Without prompt=consent oidc-provider drops offline_access (OIDC Core §11): refresh tokens
      // are issued to every client allowed the grant.
      issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
      pkce: { required: () => true },
      cookies: { keys: [secret()] },
      // Expired means expired (the default tolerates 15 s): the refresh test checks that the
      // old access token is refused upstream.
      clockTolerance: 0,
      ttl: {
        // Two seconds for the Express app (refresh tests), five minutes otherwise.
        AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }, client: { clientId: string }) =>
          token.resourceServer?.accessTokenTTL ?? (client.clientId === clients.app.id ? 2 : 300),
      },
      features: {
        devInteractions: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf,
          useGrantedResource: async () => false,
          getResourceServerInfo: async (_ctx: unknown, resource: string) => {
            if (resource === BFF_API) return { scope: 'api:read', audience: clients.bff.id, accessTokenFormat: 'jwt', accessTokenTTL: 300 };
            if (resource === OTHER_API) return { scope: 'api:read', audience: 'other-api', accessTokenFormat: 'jwt', accessTokenTTL: 300 };
            throw new InvalidTarget();
          },
        },
      },
    });
    handler = op.callback();
    metadata = await (await fetch(discovery)).json();

    const bffEnv = (c: { id: string; secret: string }, env: Record<string, string> = {}) => ({
      JWT_OIDC_CLIENT_ID: c.id,
      JWT_OIDC_CLIENT_SECRET: c.secret,
      JWT_OIDC_PKCE_EXTENSION: 'true',
      JWT_OIDC_SCOPE: 'openid profile email offline_access',
      JWT_OIDC_LOGOUT_REDIRECT_URL: '/signed-out',
      ...env,
    });
    const rename = JSON.stringify({ given_name: 'givenName', family_name: 'familyName', email: 'email' });
    [bff, bffNoUsers, bffByEmail, appSessions] = await Promise.all([
      startBff(bffPort!, discovery, bffEnv(clients.bff, { JWT_OIDC_CREATE_USER: 'true', JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: rename })),
      startBff(noUsersPort!, discovery, bffEnv(clients.noUsers, { JWT_OIDC_CREATE_USER: 'false', JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: rename })),
      startBff(byEmailPort!, discovery, bffEnv(clients.byEmail, { JWT_OIDC_CREATE_USER: 'true', JWT_OIDC_IDENTIFICATION_CLAIM: 'email', JWT_OIDC_ID_TOKEN_RENAME_ATTRIBUTES: rename })),
      testDatabase(),
    ]);

    const web = express();
    web.use(
      (appRouter = oidcClient({
        discoveryEndpoint: discovery,
        clientId: clients.app.id,
        clientSecret: clients.app.secret,
        baseUrl: appUrl,
        databaseUrl: appSessions.url,
        scope: 'openid profile email offline_access',
        allowInsecureRequests: true, // the upstream is on loopback over http
        onError: (e) => appErrors.push(e),
      })),
    );
    web.get('/token', async (req, res) => {
      const token = await req.getAccessToken();
      res.json({ token: token ?? null, loggedIn: req.oidc.loggedIn, sub: req.userClaims?.sub ?? null, userinfo: req.userinfo ?? null, user: req.user ?? null });
    });
    await new Promise<void>((resolve) => {
      app = web.listen(appPort!, '127.0.0.1', () => resolve());
    });
  });

  afterAll(async () => {
    if (app) {
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    }
    await appRouter?.close();
    await appSessions?.drop();
    await Promise.all([bff?.close(), bffNoUsers?.close(), bffByEmail?.close()]);
    if (opServer) {
      opServer.closeAllConnections();
      await new Promise((r) => opServer.close(r));
    }
  });

  /**
   * A browser at oidc-provider: follows its redirects and fills its pages (login: any password;
   * consent: continue, or the page's cancel link) until it is sent elsewhere; returns where, and
   * which pages it saw.
   */
  async function throughUpstream(jar: CookieJar, url: string, o: { login: string; consent?: 'allow' | 'cancel' }): Promise<{ location: URL; pages: string[] }> {
    const pages: string[] = [];
    let current = new URL(url);
    let res = await browse(jar, current.toString());
    for (let hops = 0; hops < 12; hops++) {
      if ([302, 303].includes(res.status)) {
        const location = new URL(res.headers.get('location')!, current);
        if (location.origin !== issuer) return { location, pages };
        current = location;
        res = await browse(jar, current.toString());
        continue;
      }
      const html = await res.text();
      expect(res.status, html.slice(0, 500)).toBe(200);
      const form = parseForm(html);
      const prompt = form.inputs.get('prompt')?.value ?? 'unknown';
      pages.push(prompt);
      if (prompt === 'consent' && o.consent === 'cancel') {
        const abort = /<a\b[^>]*href="([^"]*\/abort)"/i.exec(html);
        expect(abort, 'the consent page has a cancel link').toBeTruthy();
        current = new URL(decodeHtml(abort![1]!), current);
        res = await browse(jar, current.toString());
        continue;
      }
      const fields: Record<string, string> = {};
      for (const [name, input] of form.inputs) {
        if (input.type === 'hidden') fields[name] = input.value;
        else if (name === 'login') fields[name] = o.login;
        else if (input.type === 'password') fields[name] = 'any password will do';
      }
      expect(form.method).toBe('post');
      current = new URL(form.action, current);
      res = await postForm(jar, current.toString(), fields);
    }
    throw new Error('too many hops at the upstream provider');
  }

  /** Logs in at a relying party (a BFF or the Express app) through the upstream's pages. */
  async function loginAt(rp: { url: string; publicUrl: string }, login: string, o: { returnTo?: string; jar?: CookieJar; consent?: 'allow' | 'cancel' } = {}) {
    const jar = o.jar ?? new CookieJar();
    const start = await browse(jar, `${rp.url}/openid/login${o.returnTo ? `?returnTo=${encodeURIComponent(o.returnTo)}` : ''}`);
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    const { location: callback, pages } = await throughUpstream(jar, authorize.toString(), { login, consent: o.consent });
    expect(callback.origin + callback.pathname).toBe(`${rp.publicUrl}/openid/callback`);
    const done = await browse(jar, callback.toString());
    return { jar, start, authorize, callback, pages, done };
  }

  const ME_FIELDS = 'sub clientId scopes claims userinfo user { username email givenName familyName }';

  it('logs in through the upstream login and consent pages: PKCE, state and nonce sent; the local user created from its claims', async () => {
    const { jar, authorize, callback, pages, done } = await loginAt(bff, 'alice', { returnTo: '/app' });

    // The authorization request the browser carried to oidc-provider.
    expect(authorize.origin + authorize.pathname).toBe(metadata.authorization_endpoint);
    const p = authorize.searchParams;
    expect(p.get('client_id')).toBe(clients.bff.id);
    expect(p.get('response_type')).toBe('code');
    expect(p.get('redirect_uri')).toBe(`${bff.publicUrl}/openid/callback`);
    expect(p.get('scope')).toBe('openid profile email offline_access');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(p.get('nonce')!.length).toBeGreaterThanOrEqual(22);
    expect(p.get('state')).not.toBe(p.get('nonce'));

    // The person saw the upstream's login page, then its consent page; the upstream answered
    // with a code for this state, naming itself (RFC 9207).
    expect(pages).toEqual(['login', 'consent']);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(p.get('state'));
    expect(callback.searchParams.get('iss')).toBe(issuer);

    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/app');
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('jwt-oidc.rp='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const me = await meViaSession(bff, jar, ME_FIELDS);
    expect(me.status).toBe(200);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toMatchObject({ sub: 'alice', clientId: clients.bff.id, scopes: expect.arrayContaining(['openid', 'profile', 'email']) });
    expect(me.body.data.me.claims).toMatchObject({ iss: issuer, sub: 'alice', aud: clients.bff.id });
    // From oidc-provider's userinfo endpoint (its ID tokens carry only `sub` when an access token is issued).
    expect(me.body.data.me.userinfo).toEqual({ sub: 'alice', email: 'alice@example.com', email_verified: true, given_name: 'Alice', family_name: 'Upstream', name: 'Alice Upstream' });
    expect(me.body.data.me.user).toEqual({ username: 'alice', email: 'alice@example.com', givenName: 'Alice', familyName: 'Upstream' });

    const rows = await query(bff.databaseUrl, `select username, email, given_name, family_name, admin, active from users where attributes->>'oidcIdentifier' = $1`, ['alice']);
    expect(rows).toEqual([{ username: 'alice', email: 'alice@example.com', given_name: 'Alice', family_name: 'Upstream', admin: false, active: true }]);

    // Signed in at the upstream already: a second login shows no page and finds the same user.
    const again = await loginAt(bff, 'alice', { jar });
    expect(again.pages).toEqual([]);
    expect(again.done.status).toBe(303);
    const count = await query<{ n: number }>(bff.databaseUrl, `select count(*)::int as n from users where attributes->>'oidcIdentifier' = $1`, ['alice']);
    expect(count[0]!.n).toBe(1);
  });

  it('CREATE_USER=false: the login works, me.user is null and no local user is created', async () => {
    const { jar, pages, done } = await loginAt(bffNoUsers, 'bob', { returnTo: '/app' });
    expect(pages).toEqual(['login', 'consent']);
    expect(done.status).toBe(303);
    const me = await meViaSession(bffNoUsers, jar, ME_FIELDS);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me).toMatchObject({ sub: 'bob', clientId: clients.noUsers.id, user: null, userinfo: { sub: 'bob', email: 'bob@example.com' } });
    const rows = await query<{ n: number }>(bffNoUsers.databaseUrl, 'select count(*)::int as n from users');
    expect(rows[0]!.n).toBe(0);
  });

  describe('IDENTIFICATION_CLAIM=email', () => {
    let jar: CookieJar;

    it('the local user is created under the e-mail claim (from userinfo: the ID token carries only sub)', async () => {
      const login = await loginAt(bffByEmail, 'carol', { returnTo: '/app' });
      jar = login.jar;
      expect(login.done.status).toBe(303);
      const rows = await query(bffByEmail.databaseUrl, `select username, email, given_name, attributes->>'oidcIdentifier' as identifier from users`);
      expect(rows).toEqual([{ username: 'carol@example.com', email: 'carol@example.com', given_name: 'Carol', identifier: 'carol@example.com' }]);
      // A second login finds that user again (no second row).
      await loginAt(bffByEmail, 'carol', { jar });
      expect((await query<{ n: number }>(bffByEmail.databaseUrl, 'select count(*)::int as n from users'))[0]!.n).toBe(1);
    });

    it('the session finds the user it created (me.user)', async () => {
      expect(jar, 'needs the login of the test before').toBeDefined();
      const me = await meViaSession(bffByEmail, jar, ME_FIELDS);
      expect(me.body.errors).toBeUndefined();
      expect(me.body.data.me.sub).toBe('carol');
      expect(me.body.data.me.userinfo.email).toBe('carol@example.com');
      // The callback identified the user by `{ ...userinfo, ...idTokenClaims }.email`; the
      // session must look it up by the same claims.
      expect(me.body.data.me.user).toEqual({ username: 'carol@example.com', email: 'carol@example.com', givenName: 'Carol', familyName: 'Upstream' });
    });
  });

  describe('oidcClient in an Express app: getAccessToken across expiries', () => {
    type TokenAnswer = { token: string | null; loggedIn: boolean; sub: string | null; userinfo: Record<string, unknown> | null; user: unknown };
    const appRp = () => ({ url: appUrl, publicUrl: appUrl });
    async function token(jar: CookieJar): Promise<TokenAnswer> {
      const res = await browse(jar, `${appUrl}/token`);
      expect(res.status).toBe(200);
      return res.json() as Promise<TokenAnswer>;
    }
    const userinfoStatus = async (accessToken: string) => (await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } })).status;
    const sessionHash = (jar: CookieJar) => createHash('sha256').update(jar.cookies.get('jwt-oidc.rp')!, 'utf8').digest('base64url');
    const sessionRow = async (jar: CookieJar) =>
      (await query<{ refresh_token: string | null }>(appSessions.url, `select data->'login'->>'refreshToken' as refresh_token from jwt_oidc_rp_sessions where id_hash = $1`, [sessionHash(jar)]))[0];

    it('refreshes an expired access token (one refresh for racing requests); a revoked grant ends the session cleanly', async () => {
      const { jar, done } = await loginAt(appRp(), 'dave');
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/');

      const first = await token(jar);
      expect(first).toMatchObject({ loggedIn: true, sub: 'dave', userinfo: { sub: 'dave', email: 'dave@example.com' }, user: null });
      expect(await userinfoStatus(first.token!)).toBe(200);
      expect((await token(jar)).token).toBe(first.token); // not expired yet: no refresh

      // Expired at oidc-provider (two seconds): a new token, which the upstream accepts.
      await sleep(2200);
      expect(await userinfoStatus(first.token!)).toBe(401);
      const second = await token(jar);
      expect(second.loggedIn).toBe(true);
      expect(second.token).toBeTruthy();
      expect(second.token).not.toBe(first.token);
      expect(await userinfoStatus(second.token!)).toBe(200);
      expect(second.userinfo).toMatchObject({ sub: 'dave' });

      // Racing requests after the next expiry share one refresh: all get the same new token.
      await sleep(2200);
      const racing = await Promise.all(Array.from({ length: 6 }, () => token(jar)));
      const tokens = new Set(racing.map((r) => r.token));
      expect(tokens.size).toBe(1);
      const third = [...tokens][0]!;
      expect(third).not.toBe(second.token);
      expect(racing.every((r) => r.loggedIn)).toBe(true);
      expect(await userinfoStatus(third)).toBe(200);

      // The upstream revokes the grant: the refresh token (kept server-side only) is revoked at
      // its revocation endpoint with the client's credentials.
      const row = await sessionRow(jar);
      expect(row?.refresh_token).toBeTruthy();
      const revoked = await fetch(metadata.revocation_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clients.app.id}:${clients.app.secret}`).toString('base64')}` },
        body: new URLSearchParams({ token: row!.refresh_token!, token_type_hint: 'refresh_token' }),
      });
      expect(revoked.status).toBe(200);
      expect(await userinfoStatus(third)).toBe(401); // the whole grant went

      const errorsBefore = appErrors.length;
      await sleep(2200);
      const after = await token(jar);
      expect(after).toMatchObject({ token: null, loggedIn: false, sub: null, userinfo: null });
      expect(appErrors.length).toBeGreaterThan(errorsBefore);
      expect(await sessionRow(jar)).toBeUndefined();
      expect((await token(jar)).loggedIn).toBe(false);
    });
  });

  it('logout: the form posts to oidc-provider end-session, which confirms, ends its session and returns to <bff>/signed-out', async () => {
    const { jar } = await loginAt(bff, 'erin');
    expect((await meViaSession(bff, jar)).body.data?.me.sub).toBe('erin');

    const res = await logoutViaForm(bff, jar);
    expect(res.status).toBe(303);
    const endSession = new URL(res.headers.get('location')!);
    expect(endSession.origin + endSession.pathname).toBe(metadata.end_session_endpoint);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(endSession.searchParams.get('client_id')).toBe(clients.bff.id);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${bff.publicUrl}/signed-out`);
    expect(jar.cookies.has('jwt-oidc.rp')).toBe(false);
    const gone = await meViaSession(bff, jar);
    expect(gone.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

    // oidc-provider asks first; "yes, sign me out" ends its session and returns to the BFF.
    const confirm = await browse(jar, endSession.toString());
    const html = await confirm.text();
    expect(confirm.status, html.slice(0, 300)).toBe(200);
    const form = parseForm(html);
    const fields = Object.fromEntries([...form.inputs].filter(([, i]) => i.type === 'hidden').map(([n, i]) => [n, i.value]));
    const back = await postForm(jar, new URL(form.action, endSession).toString(), { ...fields, logout: 'yes' });
    expect([302, 303]).toContain(back.status);
    expect(back.headers.get('location')).toBe(`${bff.publicUrl}/signed-out`);

    // Signed out upstream too: a new login asks for credentials again.
    const again = await loginAt(bff, 'erin', { jar });
    expect(again.pages[0]).toBe('login');
    expect(again.done.status).toBe(303);
    expect((await meViaSession(bff, jar)).body.data?.me.sub).toBe('erin');
  });

  describe('bearer tokens of the upstream', () => {
    /** A code flow of another client (a SPA) at oidc-provider, for `resource` when given. */
    async function spaAccessToken(login: string, resource?: string): Promise<string> {
      const { verifier, challenge } = pkcePair();
      const url = new URL(metadata.authorization_endpoint);
      const params: Record<string, string> = {
        client_id: clients.spa.id,
        response_type: 'code',
        redirect_uri: clients.spa.redirectUri,
        scope: resource ? 'openid api:read' : 'openid',
        state: secret(),
        nonce: secret(),
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...(resource ? { resource } : {}),
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const { location } = await throughUpstream(new CookieJar(), url.toString(), { login });
      const code = location.searchParams.get('code');
      expect(code, location.toString()).toBeTruthy();
      const res = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clients.spa.id}:${clients.spa.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: clients.spa.redirectUri, code_verifier: verifier, ...(resource ? { resource } : {}) }),
      });
      const body = (await res.json()) as { access_token?: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      return body.access_token!;
    }
    const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;

    it('a JWT access token for the BFF (resource indicator → aud = CLIENT_ID) is accepted on /graphql', async () => {
      const token = await spaAccessToken('frank', BFF_API);
      expect(headerOf(token).typ).toMatch(/^(application\/)?at\+jwt$/i);
      expect(claimsOf(token)).toMatchObject({ iss: issuer, aud: clients.bff.id, client_id: clients.spa.id, sub: 'frank' });
      const ok = await gql(bff, '{ me { sub clientId scopes } }', undefined, token);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      expect(ok.body.data.me).toEqual({ sub: 'frank', clientId: clients.spa.id, scopes: ['api:read'] });
    });

    it('an opaque token, or a JWT for another audience, is 401 invalid_token', async () => {
      const opaque = await spaAccessToken('frank');
      expect(opaque.split('.')).toHaveLength(1);
      const foreign = await spaAccessToken('frank', OTHER_API);
      expect(claimsOf(foreign).aud).toBe('other-api');
      for (const token of [opaque, foreign]) {
        const refused = await gql(bff, '{ me { sub } }', undefined, token);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
        expect(refused.body.data?.me ?? null).toBeNull();
      }
    });
  });

  describe('errors from the upstream', () => {
    it('the user cancels at consent: a generic 400 page at the callback, and no login', async () => {
      const { jar, callback, pages, done } = await loginAt(bff, 'grace', { consent: 'cancel' });
      expect(pages).toEqual(['login', 'consent']);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const description = callback.searchParams.get('error_description');
      expect(description).toBeTruthy();
      expect(done.status).toBe(400);
      expect(done.headers.get('content-type')).toMatch(/^text\/html/);
      expect(done.headers.get('cache-control')).toBe('no-store');
      const html = await done.text();
      expect(html).not.toContain(description!);
      expect(html).not.toContain('access_denied');
      expect(done.headers.getSetCookie().filter((c) => c.startsWith('jwt-oidc.rp='))).toEqual([]);
      expect((await meViaSession(bff, jar)).body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect((await query<{ n: number }>(bff.databaseUrl, `select count(*)::int as n from users where attributes->>'oidcIdentifier' = 'grace'`))[0]!.n).toBe(0);
    });

    it('provider error text (error_description) is never reflected in the page', async () => {
      const jar = new CookieJar();
      const start = await browse(jar, `${bff.url}/openid/login`);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      const evil = '<script>alert(1)</script> call +1-555-SCAM';
      const callback = new URL(`${bff.publicUrl}/openid/callback`);
      for (const [k, v] of Object.entries({ error: 'server_error', error_description: evil, state, iss: issuer })) callback.searchParams.set(k, v);
      const done = await browse(jar, callback.toString());
      expect(done.status).toBe(400);
      const html = await done.text();
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('SCAM');
      expect(html).not.toContain('server_error');
      expect((await meViaSession(bff, jar)).body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    });
  });
});
