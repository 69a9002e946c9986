/**
 * TYPE=fake in a real browser, from a tiny single-page app served here on another origin:
 * the implicit flow and code + PKCE done by the SPA's own script (fetch to /token and /userinfo
 * across origins: the fake's CORS), a fake that allows other origins only (refused redirect and
 * post-logout URIs, no CORS), prompt=none at the top level and in a hidden iframe, sign-out
 * (at once with the SPA's ID token as hint, through the provider's confirmation page without
 * it), and the login page's labels, CSP and escaping. The fake is the provider with another
 * login step: the browser goes from /authorize to the provider's interaction page, where the
 * fake asks who to be; every page of the fake the browser is shown passes axe-core
 * (support/axe.ts).
 *
 * The SPA (`/`) starts a login when loaded with `?flow=implicit|code` (optionally
 * `&prompt=none|login`, `&issuer=<another fake>`, `&silent=iframe`), finishes it when it comes
 * back with a fragment or a code, and writes what it got as JSON into
 * `<pre id="result" data-done>`. `?logout=hint|plain` sends the browser to the fake's
 * end-session endpoint, with the last ID token as `id_token_hint` or without one, and reports
 * `{"logout":"done"}` when it comes back with its `state`. Without any of these it stays idle.
 *
 * Origins: the fake is `http://localhost:<port>`; the SPA is `http://127.0.0.1:<port>`, a
 * different *site*, so the fake's SameSite=Lax session cookie goes with top-level navigations
 * only, never with an iframe's; the same SPA at `http://localhost:<its port>` is on the fake's
 * site, where a silent iframe works.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CLIENT_ID = 'my-spa';
/** The provider's page of an interaction, where the fake asks who to be. */
const INTERACTION_PAGE = /^\/interaction\/[^/]+$/;

function fakeEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: CLIENT_ID, JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40), JWT_OIDC_DATA_DIR: dataDir, ...extra };
}

/** The SPA: one page, its script inline (no CSP on it), the default fake's issuer baked in. */
function spaPage(issuer: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tiny SPA</title></head>
<body>
<h1>Tiny SPA</h1>
<p id="status">loading</p>
<pre id="result"></pre>
<script type="module">
const DEFAULT_ISSUER = ${JSON.stringify(issuer)};
const CLIENT_ID = ${JSON.stringify(CLIENT_ID)};
const REDIRECT = location.origin + '/';
const $result = document.getElementById('result');
const $status = document.getElementById('status');

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const payloadOf = (jwt) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
function show(value) {
  // The ID token is what a sign-out names as its hint.
  if (value.id_token) sessionStorage.setItem('id_token', value.id_token);
  $result.textContent = JSON.stringify(value);
  $result.dataset.done = 'true';
  $status.textContent = 'done';
}

async function authorization(flow, prompt, issuer) {
  const pending = { flow, issuer, state: random(), nonce: random() };
  const q = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'openid email', state: pending.state, nonce: pending.nonce });
  if (flow === 'code') {
    pending.verifier = random();
    q.set('response_type', 'code');
    q.set('code_challenge', b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))));
    q.set('code_challenge_method', 'S256');
  } else {
    q.set('response_type', 'id_token token');
  }
  if (prompt) q.set('prompt', prompt);
  return { url: issuer + '/authorize?' + q, pending };
}

/** The authorization response (fragment or query) checked, tokens obtained, userinfo called. */
async function finish(pending, response) {
  if (response.get('state') !== pending.state) throw new Error('state does not match');
  if (response.get('iss') !== pending.issuer) throw new Error('iss does not match');
  if (response.has('error')) return { flow: pending.flow, error: response.get('error') };
  let tokens;
  if (pending.flow === 'code') {
    const res = await fetch(pending.issuer + '/token', {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: response.get('code'), redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: pending.verifier }),
    });
    tokens = await res.json();
    if (!res.ok) throw new Error('token endpoint: ' + JSON.stringify(tokens));
  } else {
    tokens = { id_token: response.get('id_token'), access_token: response.get('access_token'), token_type: response.get('token_type') };
  }
  const claims = payloadOf(tokens.id_token);
  if (claims.nonce !== pending.nonce) throw new Error('nonce does not match');
  const res = await fetch(pending.issuer + '/userinfo', { headers: { Authorization: 'Bearer ' + tokens.access_token } });
  const userinfo = await res.json();
  if (!res.ok) throw new Error('userinfo: ' + JSON.stringify(userinfo));
  return { flow: pending.flow, claims, userinfo, id_token: tokens.id_token, access_token: tokens.access_token, token_type: tokens.token_type };
}

/** Silent authentication in a hidden iframe; its callback page posts the response back here. */
function silently(url, pending) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    const timer = setTimeout(() => reject(new Error('no answer from the silent iframe')), 15000);
    addEventListener('message', (event) => {
      if (event.origin !== location.origin || event.source !== frame.contentWindow) return;
      clearTimeout(timer);
      frame.remove();
      const { hash, search } = event.data;
      resolve(finish(pending, new URLSearchParams(hash ? hash.slice(1) : search.slice(1))));
    });
    frame.src = url;
    document.body.append(frame);
  });
}

async function main() {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (window !== window.top) {
    // The callback inside the silent iframe: hand the response to the page that asked.
    parent.postMessage({ hash: location.hash, search: location.search }, location.origin);
    return;
  }
  const pendingLogout = sessionStorage.getItem('pendingLogout');
  if (pendingLogout && query.has('state') && !query.has('code') && !query.has('error')) {
    // Back from the fake's end-session endpoint (RP-Initiated Logout 1.0 §3: with our state).
    sessionStorage.removeItem('pendingLogout');
    history.replaceState(null, '', '/');
    if (query.get('state') !== pendingLogout) throw new Error('logout state does not match');
    sessionStorage.removeItem('id_token');
    show({ logout: 'done' });
    return;
  }
  const logout = query.get('logout');
  if (logout) {
    const state = random();
    sessionStorage.setItem('pendingLogout', state);
    const q = new URLSearchParams({ post_logout_redirect_uri: REDIRECT, state });
    if (logout === 'hint') q.set('id_token_hint', sessionStorage.getItem('id_token') ?? '');
    location.assign((query.get('issuer') ?? DEFAULT_ISSUER) + '/session/end?' + q);
    return;
  }
  const response = fragment.has('state') ? fragment : query.has('code') || query.has('error') ? query : null;
  if (response) {
    const pending = JSON.parse(sessionStorage.getItem('pending') ?? 'null');
    sessionStorage.removeItem('pending');
    history.replaceState(null, '', '/');
    if (!pending) throw new Error('no login was pending');
    show(await finish(pending, response));
    return;
  }
  const flow = query.get('flow');
  if (!flow) {
    $status.textContent = 'idle';
    return;
  }
  const { url, pending } = await authorization(flow, query.get('prompt'), query.get('issuer') ?? DEFAULT_ISSUER);
  if (query.get('silent') === 'iframe') {
    show(await silently(url, pending));
    return;
  }
  sessionStorage.setItem('pending', JSON.stringify(pending));
  location.assign(url);
}

main().catch((e) => show({ error: 'spa', message: String(e && e.message || e) }));
</script>
</body>
</html>
`;
}

/** A node:http server for the SPA on 127.0.0.1 (any port). */
async function startSpa(issuer: () => string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(spaPage(issuer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

interface SpaResult {
  flow?: string;
  logout?: string;
  error?: string;
  message?: string;
  claims?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  id_token?: string;
  access_token?: string;
  token_type?: string;
}

/**
 * Console errors and uncaught exceptions of a page, across its navigations. The browser's own
 * favicon requests are left out: neither the SPA nor the fake serves one (a 404 logged by Chromium).
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location().url;
    if (new URL(where, 'http://x').pathname === '/favicon.ico') return;
    errors.push(`${m.text()} @ ${where}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

async function resultOf(page: Page): Promise<SpaResult> {
  const pre = await page.waitForSelector('#result[data-done]');
  return JSON.parse((await pre.textContent())!) as SpaResult;
}

/** OIDC Core §3.2.2.9: the left half of the SHA-256 of the access token, base64url. */
function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/**
 * From the SPA to the fake's login page (the provider's interaction page, reached by the 303 of
 * /authorize); checks it with axe, fills it in and submits; returns the SPA's result.
 */
async function loginThroughSpa(page: Page, spaUrl: string, fakeOrigin: string, fields: { sub: string; email?: string; claims?: string }): Promise<SpaResult> {
  await page.goto(spaUrl, { waitUntil: 'commit' });
  await page.waitForURL((u) => u.origin === fakeOrigin && INTERACTION_PAGE.test(u.pathname));
  expect(await page.title()).toBe(`Fake provider: sign in – ${new URL(fakeOrigin).host}`); // the brand: the host, without PRODUCT_NAME
  await expectAccessible(page, 'fake login');
  await page.getByLabel('Subject (sub)').fill(fields.sub);
  if (fields.email !== undefined) await page.getByLabel('Email').fill(fields.email);
  if (fields.claims !== undefined) await page.getByLabel('Extra claims (JSON)').fill(fields.claims);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  return resultOf(page);
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the fake provider, used by a single-page app in a real browser', () => {
  let dataDir: string;
  let fake: TestServer;
  let issuer: string;
  let spa: { server: Server; port: number };
  let spaOrigin: string;

  beforeAll(async () => {
    // Made here, not at collection: a filtered run (-t) skips the hooks, and would leave it behind.
    dataDir = mkdtempSync(join(tmpdir(), 'jwt-oidc-fake-browser-'));
    fake = await startTestServer(fakeEnv(dataDir));
    issuer = fake.settings.issuer!;
    spa = await startSpa(() => issuer);
    spaOrigin = `http://127.0.0.1:${spa.port}`;
  });
  afterAll(async () => {
    spa?.server.close();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function expectValidTokens(result: SpaResult, sub: string): Promise<void> {
    // Signed by the fake's published key, for this client, by this issuer.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(result.id_token!, jwks, { issuer, audience: CLIENT_ID });
    expect(payload.sub).toBe(sub);
    expect(payload.at_hash).toBe(atHash(result.access_token!));
    expect(result.claims).toEqual(payload);
    // The README's fake section promises "an RS256 ID token": the one algorithm every OIDC
    // library verifies (OIDC Discovery 1.0 §3). Soft, so that the checks after it still run.
    expect(protectedHeader.alg, 'README: the fake issues "an RS256 ID token"').toBe('RS256');
    // The provider's access token (RFC 9068): its audience is the issuer, which the SPA's API
    // and the fake's own userinfo and GraphQL check.
    const access = await jwtVerify(result.access_token!, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    expect(access.payload).toMatchObject({ sub, aud: issuer, client_id: CLIENT_ID, scope: 'openid email' });
  }

  it('implicit flow (id_token token): login page, back to the SPA, userinfo over CORS with the typed claims', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const result = await loginThroughSpa(page, `${spaOrigin}/?flow=implicit`, new URL(issuer).origin, { sub: 'spa-alice', email: 'alice@example.com', claims: '{"roles":["admin"]}' });

    expect(result.error, result.message).toBeUndefined();
    expect(result.flow).toBe('implicit');
    expect(result.token_type).toBe('Bearer');
    expect(result.userinfo).toEqual({ sub: 'spa-alice', email: 'alice@example.com', email_verified: true, roles: ['admin'] });
    expect(result.claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, azp: CLIENT_ID, sub: 'spa-alice', email: 'alice@example.com', roles: ['admin'] });
    expect(result.claims!.at_hash).toEqual(expect.any(String));
    await expectValidTokens(result, 'spa-alice');
    // The SPA removed the tokens from its address bar.
    expect(page.url()).toBe(`${spaOrigin}/`);
    // The browser keeps the provider's session cookie and nothing else of the fake: the
    // interaction's cookie was cleared when the sign-in ended.
    const cookies = (await context.cookies()).filter((c) => c.domain === 'localhost');
    expect(cookies.map((c) => c.name)).toEqual(['jwt-oidc.session']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('code + PKCE done by the SPA: S256 by crypto.subtle, the code exchanged by a cross-origin fetch to /token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const tokenResponses: { status: number; allowOrigin: string | null }[] = [];
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/token' && r.request().method() === 'POST') tokenResponses.push({ status: r.status(), allowOrigin: await r.headerValue('access-control-allow-origin') });
    });
    const result = await loginThroughSpa(page, `${spaOrigin}/?flow=code`, new URL(issuer).origin, { sub: 'spa-bob', email: 'bob@example.com', claims: '{"roles":["admin"]}' });

    expect(result.error, result.message).toBeUndefined();
    expect(result.flow).toBe('code');
    expect(result.token_type).toBe('Bearer');
    expect(result.userinfo).toEqual({ sub: 'spa-bob', email: 'bob@example.com', email_verified: true, roles: ['admin'] });
    expect(result.claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: 'spa-bob', email: 'bob@example.com', roles: ['admin'] });
    await expectValidTokens(result, 'spa-bob');
    expect(tokenResponses).toEqual([{ status: 200, allowOrigin: spaOrigin }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('prompt=none at the top level: the same sub again without the login page; sign-out asks first without an ID token hint, is immediate with one; then login_required', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const fakeOrigin = new URL(issuer).origin;
    const first = await loginThroughSpa(page, `${spaOrigin}/?flow=implicit`, fakeOrigin, { sub: 'spa-carol', claims: '{"team":"blue"}' });
    expect(first.claims?.sub).toBe('spa-carol');

    // From here on, no login page may be shown: nothing of the fake's interaction pages is loaded.
    const loginPages: string[] = [];
    page.on('response', (r) => {
      const url = new URL(r.url());
      if (url.origin === fakeOrigin && url.pathname.startsWith('/interaction/')) loginPages.push(r.url());
    });
    const silentAgain = async (flow: string) => {
      await page.goto(`${spaOrigin}/?flow=${flow}&prompt=none`, { waitUntil: 'commit' });
      const again = await resultOf(page);
      expect(again.error, again.message).toBeUndefined();
      expect(again.flow).toBe(flow);
      expect(again.claims).toMatchObject({ sub: 'spa-carol', team: 'blue', iss: issuer, aud: CLIENT_ID });
      expect(again.userinfo).toEqual({ sub: 'spa-carol', team: 'blue' });
      expect(again.id_token).not.toBe(first.id_token);
    };
    for (const flow of ['implicit', 'code']) await silentAgain(flow);

    // Without the ID token as hint the request cannot be verified: the provider asks, in a form
    // of its own, and sends the browser nowhere (RP-Initiated Logout 1.0 §2).
    const endSessionResponses: { status: number; location: string | null }[] = [];
    page.on('response', async (r) => {
      const url = new URL(r.url());
      if (url.origin === fakeOrigin && url.pathname.startsWith('/session/end')) endSessionResponses.push({ status: r.status(), location: await r.headerValue('location') });
    });
    await page.goto(`${spaOrigin}/?logout=plain`, { waitUntil: 'commit' });
    await page.waitForURL((u) => u.origin === fakeOrigin && u.pathname === '/session/end');
    await page.waitForSelector('h1:has-text("Sign out?")');
    const confirm = page.locator('form:has(button[name=logout][value=yes])');
    const action = new URL((await confirm.getAttribute('action'))!);
    expect([action.origin, action.pathname]).toEqual([fakeOrigin, '/session/end/confirm']);
    expect(action.searchParams.get('uid')).toBeTruthy();
    await expect(confirm.locator('input[type=hidden][name=xsrf]').count()).resolves.toBe(1);
    await expectAccessible(page, 'fake logout confirmation');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.waitForSelector('h1:has-text("Still signed in")');
    await expectAccessible(page, 'fake still signed in');
    expect(endSessionResponses).toEqual([
      { status: 200, location: null },
      { status: 200, location: null },
    ]);
    // Staying signed in kept the session.
    await silentAgain('implicit');

    // The SPA's own sign-out, with its ID token: at once, back to it with its state.
    endSessionResponses.length = 0;
    await page.goto(`${spaOrigin}/?logout=hint`, { waitUntil: 'commit' });
    expect(await resultOf(page)).toEqual({ logout: 'done' });
    expect(endSessionResponses).toEqual([{ status: 303, location: expect.stringMatching(new RegExp(`^${spaOrigin.replace(/\./g, '\\.')}/\\?state=[\\w-]{43}$`)) }]);
    expect(page.url()).toBe(`${spaOrigin}/`);
    // The session ended: its cookie is gone from the browser.
    expect((await context.cookies()).find((c) => c.name === 'jwt-oidc.session')).toBeUndefined();

    for (const flow of ['implicit', 'code']) {
      await page.goto(`${spaOrigin}/?flow=${flow}&prompt=none`, { waitUntil: 'commit' });
      const after = await resultOf(page);
      expect(after).toEqual({ flow, error: 'login_required' });
    }
    expect(loginPages).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('prompt=none in a hidden iframe: tokens from a page on the fake\'s site; login_required from another site (SameSite=Lax)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const first = await loginThroughSpa(page, `${spaOrigin}/?flow=implicit`, new URL(issuer).origin, { sub: 'spa-dan' });
    expect(first.claims?.sub).toBe('spa-dan');
    // The provider's session cookie: for the whole host, script cannot read it, Lax, and it
    // outlives the browser session (SESSION_EXPIRATION_TIME, a day by default).
    const session = (await context.cookies(issuer)).find((c) => c.name === 'jwt-oidc.session');
    expect(session).toMatchObject({ domain: 'localhost', path: '/', httpOnly: true, secure: false, sameSite: 'Lax' });
    expect(session!.expires - Date.now() / 1000).toBeGreaterThan(86_400 - 300);
    expect(session!.expires - Date.now() / 1000).toBeLessThanOrEqual(86_400);

    // The same SPA served from http://localhost:<port>: the fake's site (ports do not count), so
    // the iframe's request carries the cookie, and the fake's X-Frame-Options on its redirect
    // does not get in the way (only the SPA's callback page is displayed in the frame).
    const sameSite = `http://localhost:${spa.port}`;
    await page.goto(`${sameSite}/?flow=implicit&prompt=none&silent=iframe`);
    const silent = await resultOf(page);
    expect(silent.error, silent.message).toBeUndefined();
    expect(silent.claims).toMatchObject({ sub: 'spa-dan', iss: issuer, aud: CLIENT_ID });
    expect(silent.userinfo).toEqual({ sub: 'spa-dan' });
    await page.goto(`${sameSite}/?flow=code&prompt=none&silent=iframe`);
    expect((await resultOf(page)).claims).toMatchObject({ sub: 'spa-dan' });

    // From http://127.0.0.1:<port>, another site, the Lax cookie stays home (Chromium here also
    // blocks third-party cookies): the iframe gets login_required although the top-level check
    // passes. Such a frontend must use top-level redirects for prompt=none.
    await page.goto(`${spaOrigin}/?flow=implicit&prompt=none&silent=iframe`);
    expect(await resultOf(page)).toEqual({ flow: 'implicit', error: 'login_required' });
    await page.goto(`${spaOrigin}/?flow=implicit&prompt=none`, { waitUntil: 'commit' });
    expect((await resultOf(page)).claims?.sub).toBe('spa-dan');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the login page: labelled fields, a CSP without inline script, identities escaped in the recent list', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const authorizeResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/authorize');
    const loginResponse = page.waitForResponse((r) => INTERACTION_PAGE.test(new URL(r.url()).pathname) && r.status() === 200);
    await page.goto(`${spaOrigin}/?flow=implicit`, { waitUntil: 'commit' });
    const response = await loginResponse;
    await page.waitForURL((u) => INTERACTION_PAGE.test(u.pathname));

    // /authorize parks the request in an interaction bound to this browser: a 303 to its page,
    // with a cookie for that page's path alone.
    const started = await authorizeResponse;
    const interactionPath = new URL(page.url()).pathname;
    expect(started.status()).toBe(303);
    expect(await started.headerValue('location')).toBe(`${issuer}${interactionPath}`);
    const interactionCookie = (await context.cookies()).find((c) => c.name === 'jwt-oidc.interaction');
    expect(interactionCookie).toMatchObject({ domain: 'localhost', path: interactionPath, httpOnly: true, sameSite: 'Lax' });

    // The Content-Security-Policy: scripts fall back to default-src 'none'; nothing inline, no
    // eval; forms post to the fake itself, whose answer may redirect to the SPA's origin only.
    const csp = (await response.headerValue('content-security-policy'))!;
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    const scriptSources = directives.get('script-src') ?? directives.get('default-src')!;
    expect(scriptSources).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'self'", spaOrigin]);
    expect(await page.locator('script').count()).toBe(0);
    // Every form posts to this interaction's login step, with its CSRF token.
    const forms = await page.$$eval('form', (els) => els.map((f) => ({ action: f.getAttribute('action'), csrf: (f.querySelector('input[name=csrf]') as HTMLInputElement | null)?.value ?? '' })));
    expect(forms.length).toBeGreaterThan(0);
    for (const form of forms) {
      expect(form.action).toBe(`${issuer}${interactionPath}/login`);
      expect(form.csrf).not.toBe('');
    }
    await expectAccessible(page, 'fake login');

    // Every field a person fills has a label; the buttons have names; the document a language.
    const unlabelled = await page.$$eval('input:not([type=hidden]), textarea, select', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.outerHTML));
    expect(unlabelled).toEqual([]);
    for (const label of ['Subject (sub)', 'Email', 'Name', 'Extra claims (JSON)']) await expect(page.getByLabel(label, { exact: true }).count()).resolves.toBe(1);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in as…');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sub');

    // A hostile identity: markup as sub (no spaces: sub is visible ASCII) and in the email.
    const sub = '<svg/onload=alert(1)>';
    const email = '<img/src/onerror=alert(2)>@x.example';
    // The email field's own validation would refuse it; a request need not come from this form.
    await page.$eval('form:not(:has(input[name=identity]))', (f) => ((f as HTMLFormElement).noValidate = true));
    const result = await (async () => {
      await page.getByLabel('Subject (sub)').fill(sub);
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      return resultOf(page);
    })();
    expect(result.userinfo).toMatchObject({ sub, email });
    expect(result.claims).toMatchObject({ sub, email });

    // Back at the login page (prompt=login: this browser is signed in now, and would otherwise
    // go straight back): the identity is listed, as text, and its one-click form names it by
    // its subject, verbatim.
    await page.goto(`${spaOrigin}/?flow=implicit&prompt=login`, { waitUntil: 'commit' });
    await page.waitForURL((u) => INTERACTION_PAGE.test(u.pathname));
    const recent = page.getByRole('list', { name: 'Recent identities' });
    await expect(recent.getByRole('button', { name: `${sub} · ${email}`, exact: true }).count()).resolves.toBe(1);
    expect(await recent.locator('input[type=hidden][name=identity]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toContain(sub);
    expect(await page.locator('svg, img, script').count()).toBe(0);
    await expectAccessible(page, 'fake login with recent identities');

    // Typed values shown again after a form error are escaped in their attributes too.
    const quoted = '"><svg/onload=alert(3)>';
    await page.getByLabel('Subject (sub)').fill(quoted);
    await page.getByLabel('Extra claims (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('[role=alert]');
    // The form error is answered with a 400, which Chromium logs; nothing else may be there.
    expect(errors.splice(0)).toEqual([expect.stringMatching(/status of 400 .* @ http:\/\/localhost:\d+\/interaction\/[^/]+\/login$/)]);
    expect(await page.getByLabel('Subject (sub)').inputValue()).toBe(quoted);
    // The field in error points at the message (WCAG 3.3.1).
    expect(await page.getByLabel('Extra claims (JSON)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Extra claims (JSON)').getAttribute('aria-describedby')).toBe('form-error');
    expect(await page.locator('svg, img, script').count()).toBe(0);
    await expectAccessible(page, 'fake login with an error');

    // One click on the listed identity signs in as it.
    await page.getByRole('button', { name: `${sub} · ${email}`, exact: true }).click();
    expect((await resultOf(page)).userinfo).toMatchObject({ sub, email });

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('a fake provider that allows one other origin (JWT_OIDC_CORS_ALLOWED_ORIGINS)', () => {
  let dataDir: string;
  let fake: TestServer;
  let issuer: string;
  let spa: { server: Server; port: number };
  let allowed: { server: Server; port: number };
  let disallowedOrigin: string;
  let allowedOrigin: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jwt-oidc-fake-browser-cors-'));
    // Two listeners of the same SPA: 127.0.0.1:<a> (loopback, allowed by default, but not here)
    // and localhost:<b>, the one origin in the list.
    [spa, allowed] = await Promise.all([startSpa(() => issuer), startSpa(() => issuer)]);
    disallowedOrigin = `http://127.0.0.1:${spa.port}`;
    allowedOrigin = `http://localhost:${allowed.port}`;
    fake = await startTestServer(fakeEnv(dataDir, { JWT_OIDC_CORS_ALLOWED_ORIGINS: allowedOrigin }));
    issuer = fake.settings.issuer!;
  });
  afterAll(async () => {
    spa?.server.close();
    allowed?.server.close();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the redirect and post-logout URIs of a disallowed origin with a page, never a redirect; the allowed origin signs in and out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorizeResponses: { status: number; location: string | null; requestId: string | null }[] = [];
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/authorize') authorizeResponses.push({ status: r.status(), location: await r.headerValue('location'), requestId: await r.headerValue('x-request-id') });
    });
    await page.goto(`${disallowedOrigin}/?flow=implicit`, { waitUntil: 'commit' });
    await page.waitForURL((u) => u.origin === new URL(issuer).origin && u.pathname === '/authorize');
    // The provider's page for a request it cannot answer by redirect, with the request id for support.
    expect(await page.textContent('h1')).toBe('Sign-in request not valid');
    expect(await page.textContent('main')).toContain('redirect_uri is not registered for this client');
    expect(authorizeResponses).toEqual([{ status: 400, location: null, requestId: expect.any(String) }]);
    expect(await page.locator('.request-id code').innerText()).toBe(authorizeResponses[0]!.requestId);
    expect(await page.locator('form').count()).toBe(0);
    await expectAccessible(page, 'fake refused redirect_uri');

    // The allowed origin, same SPA, same fake: the whole implicit flow works, CORS included.
    const errors = watchErrors(page);
    const result = await loginThroughSpa(page, `${allowedOrigin}/?flow=implicit`, new URL(issuer).origin, { sub: 'cors-erin' });
    expect(result.error, result.message).toBeUndefined();
    expect(result.userinfo).toEqual({ sub: 'cors-erin' });

    // Post-logout URIs follow the same origins: with a valid hint, a disallowed one gets the
    // confirmation page and no redirect (nor a form that leads there)…
    const refused = await fetch(`${issuer}/session/end?${new URLSearchParams({ id_token_hint: result.id_token!, post_logout_redirect_uri: `${disallowedOrigin}/`, state: 'st' })}`, { redirect: 'manual' });
    expect(refused.status).toBe(200);
    expect(refused.headers.get('location')).toBeNull();
    const confirmation = await refused.text();
    expect(confirmation).toContain('name="logout"');
    expect(confirmation).not.toContain(disallowedOrigin);
    // …and the allowed one is where the SPA's own sign-out returns to at once.
    await page.goto(`${allowedOrigin}/?logout=hint`, { waitUntil: 'commit' });
    expect(await resultOf(page)).toEqual({ logout: 'done' });
    expect(page.url()).toBe(`${allowedOrigin}/`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('gives a disallowed origin no Access-Control-Allow-Origin (HTTP), and the browser blocks its fetch', async () => {
    const endpoints = [
      { path: '/.well-known/openid-configuration', method: 'GET' },
      { path: '/jwks', method: 'GET' },
      { path: '/token', method: 'POST' },
      { path: '/userinfo', method: 'GET' },
      { path: '/graphql', method: 'POST' },
      // The provider's revocation and introspection, which the fake now has too.
      { path: '/revoke', method: 'POST' },
      { path: '/introspect', method: 'POST' },
    ];
    for (const { path, method } of endpoints) {
      for (const [origin, expected] of [
        [allowedOrigin, allowedOrigin],
        [disallowedOrigin, null],
        ['http://localhost:1', null],
        ['https://evil.example', null],
      ] as const) {
        // A simple request (what a form-body fetch to /token, /revoke or /introspect is), then the preflight of one with Authorization.
        const form = ['/token', '/revoke', '/introspect'].includes(path);
        const simple = await fetch(`${issuer}${path}`, { method: form ? 'POST' : 'GET', headers: { origin, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, body: form ? (path === '/token' ? 'grant_type=authorization_code' : 'token=x') : undefined });
        expect(simple.headers.get('access-control-allow-origin'), `${origin} ${path}`).toBe(expected);
        await simple.arrayBuffer();
        const preflight = await fetch(`${issuer}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' } });
        expect(preflight.headers.get('access-control-allow-origin'), `preflight ${origin} ${path}`).toBe(expected);
        if (expected === null) expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
        await preflight.arrayBuffer();
      }
    }

    // In the browser: the same fetch succeeds from the allowed origin and fails from the other.
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const probe = (url: string) => fetch(url).then((r) => `status ${r.status}`, (e: Error) => `blocked: ${e.name}`);
    const discovery = `${issuer}/.well-known/openid-configuration`;
    await page.goto(`${allowedOrigin}/`);
    expect(await page.evaluate(probe, discovery)).toBe('status 200');
    expect(errors).toEqual([]);
    await page.goto(`${disallowedOrigin}/`);
    expect(await page.evaluate(probe, discovery)).toBe('blocked: TypeError');
    // The failure the other tests assert is absent: a CORS error on the console.
    expect(errors.some((e) => /CORS policy/.test(e) && e.includes("No 'Access-Control-Allow-Origin'"))).toBe(true);
    await context.close();
  });
});

describe("the README's single-page app example", () => {
  it('runs as written against the fake: code + PKCE, then userinfo shows the identity', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Developing a frontend without an identity provider'));
    const example = /```html\n([\s\S]*?)```/.exec(section)![1]!;
    const dataDir = mkdtempSync(join(tmpdir(), 'jwt-oidc-fake-readme-'));
    const fake = await startTestServer(fakeEnv(dataDir));
    // The page as the README has it, only with this run's issuer.
    const html = example.replace("'http://localhost:3000'", JSON.stringify(fake.settings.issuer));
    expect(html).not.toBe(example);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: 'commit' });
      await page.waitForURL((u) => INTERACTION_PAGE.test(u.pathname));
      await expectAccessible(page, 'fake login (README example)');
      await page.getByLabel('Subject (sub)').fill('readme-reader');
      await page.getByLabel('Email').fill('reader@example.com');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForFunction(() => document.getElementById('out')?.textContent?.includes('"sub"'));
      expect(JSON.parse((await page.textContent('#out'))!)).toMatchObject({ sub: 'readme-reader', email: 'reader@example.com' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      server.close();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
