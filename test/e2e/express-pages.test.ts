/**
 * The pages of `oidcClient` (@jwt-oidc/express) without a browser: the default renderer's
 * document (lang, viewport, colour scheme, one h1, no script), the Content-Security-Policy the
 * package computes for it (the stylesheet by its hash, never 'unsafe-inline'; a sign-out form
 * whose form-action names the provider's end-session origin), escaping, the request id, an
 * app's own `renderPage` (its stylesheet allowed by its hash; a throwing renderer replaced by
 * the default page), and the 503 page of an unreachable provider.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { oidcClient, renderDefaultPage, type OidcClientOptions, type OidcClientRouter, type RelyingPartyPage } from '@jwt-oidc/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/client-mode.js';
import { browse, CookieJar, formOf, throughLoginPages, startProvider, type TestProvider } from '../support/provider.js';

const HOSTILE = `<script>alert(1)</script>"'\`&`;

/** The sha256 source of each inline <style> of a document. */
function styleHashes(document: string): string[] {
  return [...document.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
}

/** The directives of a policy, by name. */
function directives(csp: string | null): Record<string, string> {
  return Object.fromEntries((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]));
}

/** What every page of the relying party must be: a complete, accessible HTML5 document. */
function expectCompleteDocument(document: string): void {
  expect(document).toMatch(/^<!doctype html>\n<html lang="en">/);
  expect(document).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(document).toContain('<meta name="color-scheme" content="light dark">');
  expect(document.match(/<h1>/g)).toHaveLength(1);
  expect(document).toMatch(/<title>[^<]+<\/title>/);
  expect(document).not.toMatch(/<script/i);
}

interface App {
  url: string;
  router: OidcClientRouter;
  server: Server;
  errors: unknown[];
}

/** An app on `port` with `oidcClient`; `requestId`: the X-Request-Id its request log would echo. */
async function startApp(port: number, discoveryEndpoint: string, clientId: string, extra: Partial<OidcClientOptions> & { requestId?: string } = {}): Promise<App> {
  const url = `http://127.0.0.1:${port}`;
  const errors: unknown[] = [];
  const { requestId, ...options } = extra;
  const app = express();
  if (requestId !== undefined) {
    app.use((_req, res, next) => {
      res.setHeader('X-Request-Id', requestId);
      next();
    });
  }
  const router = oidcClient({ discoveryEndpoint, clientId, clientSecret: 'unused-secret', baseUrl: url, allowInsecureRequests: true, timeout: 2, onError: (e) => errors.push(e), onWarning: () => undefined, ...options });
  app.use(router);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return { url, router, server, errors };
}

async function stopApp(app: App | undefined): Promise<void> {
  if (!app) return;
  await new Promise((r) => app.server.close(r));
  await app.router.close();
}

describe('renderDefaultPage', () => {
  it('is a complete page for every kind, and escapes every string it is given', () => {
    const signOut = renderDefaultPage({ kind: 'sign-out', status: 200, title: HOSTILE, message: HOSTILE, action: `/out?a=1&b="2"`, csrfToken: HOSTILE, link: { href: `/"><script>`, text: HOSTILE } });
    const error = renderDefaultPage({ kind: 'error', status: 400, title: HOSTILE, message: HOSTILE, requestId: HOSTILE, link: { href: '/x', text: HOSTILE } });
    for (const document of [signOut, error]) {
      expectCompleteDocument(document);
      expect(document).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;');
    }
    expect(signOut).toContain('<form method="post" action="/out?a=1&amp;b=&quot;2&quot;">');
    expect(signOut).toContain(`name="csrf" value="&lt;script&gt;`);
    expect(signOut).toContain('href="/&quot;&gt;&lt;script&gt;"');
    expect(signOut).toMatch(/<button type="submit">Sign out<\/button>/);
    expect(error).toContain('Request id: <code>&lt;script&gt;');
    expect(error).not.toMatch(/<form/);
  });
});

describe('oidcClient pages against the provider', () => {
  let provider: TestProvider;
  let app: App;
  let custom: App;
  let broken: App;
  let user: { username: string };
  const seen: RelyingPartyPage[] = [];
  const CUSTOM_CSS = 'body{font-family:serif}';

  beforeAll(async () => {
    provider = await startProvider();
    user = await provider.createUser();
    const ports = { app: await freePort(), custom: await freePort() };
    const client = await provider.createClient({ redirectUris: [`http://127.0.0.1:${ports.app}/openid/callback`, `http://127.0.0.1:${ports.custom}/openid/callback`] });
    app = await startApp(ports.app, provider.issuer, client.clientId, { clientSecret: client.clientSecret, requestId: 'req-12345678<b>' });
    custom = await startApp(ports.custom, provider.issuer, client.clientId, {
      clientSecret: client.clientSecret,
      renderPage: (view) => {
        seen.push(view);
        return `<!doctype html><html lang="fr"><head><title>x</title><style>${CUSTOM_CSS}</style></head><body><h1>${view.kind}</h1></body></html>`;
      },
    });
    broken = await startApp(await freePort(), provider.issuer, client.clientId, {
      renderPage: () => {
        throw new Error('template missing');
      },
    });
  });
  afterAll(async () => {
    await Promise.all([stopApp(app), stopApp(custom), stopApp(broken)]);
    await provider?.close();
  });

  async function signedIn(target: App): Promise<CookieJar> {
    const jar = new CookieJar();
    const start = await browse(jar, `${target.url}/openid/login`);
    expect(start.status).toBe(303);
    const callback = await throughLoginPages(jar, start.headers.get('location')!, { username: user.username });
    const done = await browse(jar, callback.toString());
    expect(done.status, await done.clone().text()).toBe(303);
    return jar;
  }

  it('sign-out page, signed in: form-action allows here and the provider\'s end-session origin; the stylesheet by its hash', async () => {
    const jar = await signedIn(app);
    const res = await browse(jar, `${app.url}/openid/logout`);
    expect(res.status).toBe(200);
    const document = await res.text();
    expectCompleteDocument(document);
    expect(document).toContain('<h1>Sign out</h1>');
    const csp = res.headers.get('content-security-policy')!;
    const d = directives(csp);
    expect(d['default-src']).toBe("'none'");
    expect(d['form-action']!.split(' ')).toEqual(expect.arrayContaining(["'self'", new URL(provider.issuer).origin]));
    expect(d['style-src']).toBe(styleHashes(document).join(' '));
    expect(d['frame-ancestors']).toBe("'none'");
    expect(csp).not.toMatch(/unsafe-inline|script-src|img-src/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');

    // The form works: its POST goes on to the provider's end-session endpoint.
    const { action, csrf } = formOf(document);
    const out = await browse(jar, new URL(action, app.url).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }) });
    expect(out.status).toBe(303);
    const endSession = new URL(out.headers.get('location')!);
    expect(endSession.origin).toBe(new URL(provider.issuer).origin);
    expect(d['form-action']!.split(' ')).toContain(endSession.origin);
  });

  it('sign-out page, signed out: form-action is only here (no provider round trip)', async () => {
    const res = await fetch(`${app.url}/openid/logout`);
    expect(res.status).toBe(200);
    expect(directives(res.headers.get('content-security-policy'))['form-action']).toBe("'self'");
    expectCompleteDocument(await res.text());
  });

  it('callback error: 400, a heading, the message, a way back to sign in, the request id escaped; no form allowed elsewhere', async () => {
    const res = await fetch(`${app.url}/openid/callback?state=x&code=y`);
    expect(res.status).toBe(400);
    const document = await res.text();
    expectCompleteDocument(document);
    expect(document).toContain('<h1>Sign-in link not valid</h1>');
    expect(document).toContain('This sign-in link is not valid here. Please start again.');
    expect(document).toContain('<a href="/openid/login">Sign in again</a>');
    expect(document).toContain('Request id: <code>req-12345678&lt;b&gt;</code>');
    const d = directives(res.headers.get('content-security-policy'));
    expect(d['form-action']).toBe("'self'");
    expect(d['style-src']).toBe(styleHashes(document).join(' '));
  });

  it('an app\'s renderPage gets the view as data, and its own stylesheet is allowed by its hash', async () => {
    const jar = await signedIn(custom);
    const form = await browse(jar, `${custom.url}/openid/logout`);
    expect(await form.text()).toContain('<h1>sign-out</h1>');
    const view = seen.at(-1)!;
    expect(view).toMatchObject({ kind: 'sign-out', status: 200, title: 'Sign out', action: '/openid/logout' });
    expect(view.kind === 'sign-out' && view.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const d = directives(form.headers.get('content-security-policy'));
    expect(d['style-src']).toBe(`'sha256-${createHash('sha256').update(CUSTOM_CSS).digest('base64')}'`);
    expect(d['form-action']).toContain(new URL(provider.issuer).origin);

    const error = await fetch(`${custom.url}/openid/callback?state=x&code=y`, { headers: { 'x-request-id': 'ignored-here' } });
    expect(error.status).toBe(400);
    expect(seen.at(-1)).toMatchObject({ kind: 'error', status: 400, title: 'Sign-in link not valid', message: 'This sign-in link is not valid here. Please start again.' });
    // This app sets no request id (a request's own X-Request-Id header is not one).
    expect((seen.at(-1) as { requestId?: string }).requestId).toBeUndefined();
  });

  it('a renderer that throws: reported to onError, and the default page is sent instead (never a 500)', async () => {
    const res = await fetch(`${broken.url}/openid/callback?state=x&code=y`);
    expect(res.status).toBe(400);
    const document = await res.text();
    expectCompleteDocument(document);
    expect(document).toContain('This sign-in link is not valid here.');
    expect(directives(res.headers.get('content-security-policy'))['style-src']).toBe(styleHashes(document).join(' '));
    expect(broken.errors.some((e) => e instanceof Error && e.message === 'template missing')).toBe(true);
  });

  it('the provider cannot be reached: /openid/login is a 503 page with Retry-After and a way to try again', async () => {
    const dead = await startApp(await freePort(), `http://127.0.0.1:${await freePort()}`, 'nobody', { requestId: 'req-503-abcdef' });
    try {
      const res = await fetch(`${dead.url}/openid/login?returnTo=/orders`, { redirect: 'manual' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const document = await res.text();
      expectCompleteDocument(document);
      expect(document).toContain('<h1>Sign-in unavailable</h1>');
      expect(document).toContain('<a href="/openid/login?returnTo=%2Forders">Try again</a>');
      expect(document).toContain('Request id: <code>req-503-abcdef</code>');
      expect(directives(res.headers.get('content-security-policy'))['default-src']).toBe("'none'");
    } finally {
      await stopApp(dead);
    }
  });
});
