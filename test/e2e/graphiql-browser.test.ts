/**
 * GraphiQL at /graphql in Chromium, as a developer opens it offline or behind a strict firewall:
 * every request to a host other than loopback is aborted (and none may be attempted), the page
 * renders GraphiQL from the package's own files under its real CSP, a query typed into the
 * editor runs against the API, and nothing lands in the console. Plus the page's accessibility
 * (test/support/axe.ts), and the plain page when the IDE's files are missing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlHandler } from '../../src/http/graphiql.js';
import { expectAccessible, watchConsole } from '../support/axe.js';
import { launchBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
/** Requests the browser tried to send off this machine (each one aborted). */
const offsite: string[] = [];
/** Every request the browser made, as method and URL. */
const requests: string[] = [];

function loopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ NODE_ENV: 'development' }), launchBrowser()]);
  context = await browser.newContext();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(`${route.request().method()} ${url}`);
    if (loopback(url)) return route.continue();
    offsite.push(url);
    return route.abort('blockedbyclient');
  });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

/** The text of one of GraphiQL's editors (CodeMirror 5: its instance hangs on its element). */
const editorText = (page: Page, pane: string) => page.locator(`${pane} .CodeMirror`).first().evaluate((e) => (e as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());

describe('GraphiQL at /graphql (development)', () => {
  it('renders from this server only, runs a typed query, and logs no error or CSP violation', async () => {
    const page = await context.newPage();
    const console = watchConsole(page);
    // GraphiQL loads the schema by introspection (for completion and the docs): it must pass the query limits.
    const schema = page.waitForResponse((r) => r.url() === `${server.url}/graphql` && (r.request().postData() ?? '').includes('__schema'));
    const res = await page.goto(`${server.url}/graphql`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp, 'no other origin in the policy').not.toMatch(/https?:|\*|unsafe-eval|unsafe-inline/);

    await page.locator('.graphiql-container').waitFor();
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    expect(await page.title()).toMatch(/GraphiQL/);
    const introspection = await schema;
    expect(introspection.status()).toBe(200);
    expect(Object.keys(await introspection.json())).toEqual(['data']);

    // Replace the default query by typing; the editor closes brackets itself, so only the opening ones are typed.
    await page.locator('.graphiql-query-editor .CodeMirror').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('{ serverInfo { mode version');
    await page.keyboard.press('Escape'); // closes the completion list, if open
    expect((await editorText(page, '.graphiql-query-editor')).replace(/\s+/g, ' ')).toMatch(/^\{ serverInfo \{ mode version\s*\}\s*\}$/);
    const answered = page.waitForResponse((r) => r.url() === `${server.url}/graphql` && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('serverInfo'));
    await page.locator('.graphiql-execute-button').click();
    expect((await answered).status()).toBe(200);
    await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 10_000 }).toContain('"mode": "provider"');
    expect(await editorText(page, '.graphiql-response')).toMatch(/"version": "\d+\.\d+\.\d+/);

    // GraphiQL's editors are CodeMirror 5: its scroll container holds no focusable element, since
    // the editor's input (a textarea, which takes the keys that move and scroll) sits beside it.
    // axe cannot see that; the page cannot change CodeMirror's markup. Everything else is checked.
    await expectAccessible(page, 'graphiql', [{ rule: 'scrollable-region-focusable', within: '.CodeMirror' }]);
    console.assertNone();
    expect(offsite, 'requests off this machine').toEqual([]);
    expect(requests, 'the route saw the page\'s requests').toContainEqual(`GET ${server.url}/graphql/ide/graphiql.min.js`);
    const origin = new URL(server.url).origin;
    expect(requests.filter((r) => !r.split(' ')[1]!.startsWith(`${origin}/`)), 'every request went to the server').toEqual([]);
    await page.close();
  });

  it('serves the IDE files with their types, and no file outside the list', async () => {
    for (const [name, type] of [['graphiql.min.js', /javascript/], ['graphiql.min.css', /text\/css/], ['react.production.min.js', /javascript/], ['react-dom.production.min.js', /javascript/], ['start.js', /javascript/], ['page.css', /text\/css/]] as const) {
      const res = await fetch(`${server.url}/graphql/ide/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toMatch(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    for (const name of ['package.json', '..%2Fpackage.json', 'LICENSE.graphiql', 'graphiql.min.js.map', 'constructor', '__proto__', 'a/graphiql.min.js']) {
      expect((await fetch(`${server.url}/graphql/ide/${name}`)).status, name).toBe(404);
    }
    // A GraphQL client's GET is still the API, not the page.
    const api = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ serverInfo { mode } }')}`, { headers: { 'apollo-require-preflight': 'true', accept: 'application/json' } });
    expect(await api.json()).toEqual({ data: { serverInfo: { mode: 'provider' } } });
  });
});

describe('without the IDE files', () => {
  let bare: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use('/graphql', graphiqlHandler(null));
    bare = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => bare.once('listening', r));
    url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => bare.close(() => r())));

  it('says the IDE is not installed and how to query with curl, accessibly, with no script', async () => {
    const page = await context.newPage();
    const console = watchConsole(page);
    const res = await page.goto(`${url}/graphql`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/^default-src 'none'/);
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/not installed/);
    expect(text).toContain(`curl ${url}/graphql`);
    expect(await page.locator('script').count()).toBe(0);
    await expectAccessible(page, 'graphql without the IDE');
    console.assertNone();
    expect((await fetch(`${url}/graphql/ide/graphiql.min.js`)).status).toBe(404);
    await page.close();
  });
});
