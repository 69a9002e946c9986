/**
 * The small things a newcomer meets first: the brand and request id on pages, waits in words,
 * one terminal line per request, and a data directory per mode.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { claimDataDir, MODE_FILE } from '../../src/config/data-dir.js';
import { loadSettings } from '../../src/config/load.js';
import { errorPage } from '../../src/interaction/views/error.js';
import { loginPage } from '../../src/interaction/views/login.js';
import { page, pageContext } from '../../src/interaction/views/layout.js';
import { createLogger } from '../../src/log.js';
import { waitInWords } from '../../src/util/wait-words.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'jwt-oidc-first-hour-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('pages', () => {
  it('show the brand (escaped) on every page and the request id on error pages only', () => {
    const context = { brand: { name: 'Acme <ID>', logoUrl: 'https://acme.example/logo.svg' }, requestId: 'req-12345678' };
    const error = pageContext.run(context, () => errorPage({ title: 'Sign-in expired', message: 'Start again.', back: { name: 'Shop', url: 'https://shop.example/' } }));
    expect(error).toContain('<span>Acme &lt;ID&gt;</span>');
    expect(error).toContain('<img src="https://acme.example/logo.svg" alt=""');
    expect(error).toContain('<title>Sign-in expired – Acme &lt;ID&gt;</title>');
    expect(error).toContain('Request id: <code>req-12345678</code>');
    expect(error).toContain('<a class="back" href="https://shop.example/">Back to Shop</a>');
    const login = pageContext.run(context, () => loginPage({ action: '/x', csrfToken: 't', clientName: 'Shop' }));
    expect(login).toContain('<span>Acme &lt;ID&gt;</span>');
    expect(login).not.toContain('req-12345678');
  });

  it('outside a request: no brand line, no request id', () => {
    const html = page({ title: 'T', body: '<h1>T</h1>', error: true });
    expect(html).not.toContain('class="brand"');
    expect(html).not.toContain('Request id');
  });
});

describe('waits in words', () => {
  it.each([
    [0, '1 second'],
    [1, '1 second'],
    [1.2, '2 seconds'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [900, '15 minutes'],
    [3600, '1 hour'],
    [3601, '2 hours'],
  ])('%s s → %s', (seconds, words) => expect(waitInWords(seconds)).toBe(words));
});

describe('terminal logs', () => {
  it('one line per request: method, path, status, time and request id', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const logger = createLogger({ level: 'info', pretty: true, destination: out });
    logger.child({ requestId: 'abc-12345678' }).info({ method: 'POST', path: '/token', status: 200, ms: 3.1 }, 'request');
    logger.info({ port: 3000 }, 'ready');
    await new Promise((r) => setImmediate(r));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/INFO.*POST \/token 200 3\.1ms \[abc-12345678\]$/);
    expect(lines[1]).toMatch(/ready \{"port":3000\}/);
  });
});

describe('a data directory per mode', () => {
  it('each mode has its own default', () => {
    const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1/x' };
    expect(loadSettings({ env: { ...base } }).settings.dataDir).toBe('.data');
    expect(loadSettings({ env: { ...base, JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'http://127.0.0.1:1/', JWT_OIDC_CLIENT_ID: 'c' } }).settings.dataDir).toBe('.data/client');
    expect(loadSettings({ env: { ...base, JWT_OIDC_TYPE: 'fake', JWT_OIDC_CLIENT_ID: 'c' } }).settings.dataDir).toBe('.data/fake');
    expect(loadSettings({ env: { ...base, JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: 'http://127.0.0.1:1/', JWT_OIDC_CLIENT_ID: 'c', JWT_OIDC_DATA_DIR: '/srv/x' } }).settings.dataDir).toBe('/srv/x');
  });

  it('a directory is claimed by the first mode and refused to the others', async () => {
    const dir = join(tmp(), 'state');
    await claimDataDir(dir, 'provider');
    expect(readFileSync(join(dir, MODE_FILE), 'utf8').trim()).toBe('provider');
    await expect(claimDataDir(dir, 'provider')).resolves.toBeUndefined();
    await expect(claimDataDir(dir, 'client')).rejects.toThrow(/holds the local state of the provider mode.*default \.data\/client/);
  });

  it('three modes claiming one new directory at once: exactly one wins, and the others name it (never a half-written marker)', async () => {
    for (let round = 0; round < 30; round++) {
      const dir = join(tmp(), 'race');
      const results = await Promise.allSettled([claimDataDir(dir, 'client'), claimDataDir(dir, 'fake'), claimDataDir(dir, 'provider')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const owner = readFileSync(join(dir, MODE_FILE), 'utf8').trim();
      expect(['client', 'fake', 'provider']).toContain(owner);
      for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toContain(`holds the local state of the ${owner} mode`);
      // Nothing but the marker is left behind.
      expect(readdirSync(dir)).toEqual([MODE_FILE]);
    }
  });

  it('an existing directory without a marker is adopted', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'key-encryption-secret'), 'x\n');
    await claimDataDir(dir, 'fake');
    expect(readFileSync(join(dir, MODE_FILE), 'utf8').trim()).toBe('fake');
  });
});

describe('client_uri (the "Back to" link)', () => {
  it('is https, or http on loopback; never a script or data URI', async () => {
    const { ClientService } = await import('../../src/clients/client-service.js');
    // Validation comes before any database access.
    const service = new ClientService(undefined as never, async () => {});
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'http://app.example/', 'not a url']) {
      await expect(service.create({ name: 'x', redirectUris: ['https://app.example/cb'], clientUri: bad }), bad).rejects.toThrow(/clientUri.*https URL/);
    }
  });
});
