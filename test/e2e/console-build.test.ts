/**
 * The browser pages as `npm run build` leaves them in dist/console (scripts/console-build.ts),
 * which the package and the image ship — index.html (the admin console) and account.html (the
 * account page): nothing inline that the pages' CSP (`script-src 'self'`, `style-src 'self'`)
 * would block, content-hashed names (served as immutable), and at most 250 KB of JavaScript
 * gzipped (docs/CONSOLE.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONSOLE_OUT } from '../../scripts/console-build.js';

const ASSETS = join(CONSOLE_OUT, 'assets');

describe('the console build', () => {
  const files = readdirSync(ASSETS);

  it.each(['index.html', 'account.html'])('SE-17 AP-03 has no inline script or style in %s, and loads only its own hashed files', (page) => {
    const index = readFileSync(join(CONSOLE_OUT, page), 'utf8');
    const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body!.trim(), 'an inline script').toBe('');
      expect(attributes).toMatch(/src="\.\/assets\/[\w-]+\.js"/);
    }
    expect(index).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    for (const [, url] of index.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url, url).toMatch(/^(\.\/assets\/[\w-]+\.(js|css)|data:,)$/);
  });

  it('names every asset by its content', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^[\w.-]+-[\w-]{8}\.[a-z0-9]+$/);
  });

  it('ships at most 250 KB of JavaScript, gzipped', () => {
    const gzipped = files.filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + gzipSync(readFileSync(join(ASSETS, f))).length, 0);
    expect(gzipped).toBeGreaterThan(10_000);
    expect(gzipped).toBeLessThanOrEqual(250 * 1024);
  });

  it('has no eval in its scripts that the CSP would refuse', () => {
    for (const f of files.filter((n) => n.endsWith('.js'))) {
      const js = readFileSync(join(ASSETS, f), 'utf8');
      expect(js, f).not.toMatch(/\beval\(|new Function\(/);
    }
  });

  it('is a production build, whatever NODE_ENV the builder had: React\'s production code, no development JSX, no source paths', () => {
    for (const f of files.filter((n) => n.endsWith('.js'))) {
      const js = readFileSync(join(ASSETS, f), 'utf8');
      // Development-only warnings of React, the JSX transform's development calls (which carry
      // the sources' paths). Booleans: a failure must not print the whole bundle.
      expect(js.includes('unique "key" prop'), `${f}: React's development build`).toBe(false);
      expect(/\bjsxDEV\b/.test(js), `${f}: development JSX`).toBe(false);
      expect(js.includes(CONSOLE_OUT.replace(/dist\/console\/?$/, '')), `${f}: a path of the checkout`).toBe(false);
    }
  });
});
