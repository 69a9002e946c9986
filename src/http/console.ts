/**
 * The admin console (docs/ARCHITECTURE.md "The admin console"): the single-page application that
 * `npm run build` writes to dist/console, served under `<issuer path>/admin` in provider mode
 * with ADMIN_CONSOLE. Its files under `assets/` have content-hashed names and are cached for a
 * year; every other path below the mount is the page itself (the application routes in the
 * browser), with the configuration in a meta tag, since its policy allows no inline script. While
 * no administrator exists, the page sends the browser to the first-run page `/admin/setup`,
 * which the provider router serves before this one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler, Response } from 'express';
import { CONSOLE_CLIENT_ID } from '../clients/client-service.js';
import { escapeHtml, html } from '../interaction/views/html.js';
import { page, PAGE_CSP, type Brand } from '../interaction/views/layout.js';
import { notFound } from './errors.js';

/**
 * The page's policy: its own scripts, styles, fonts and images (and data: images), requests to
 * this origin only (GraphQL, the token endpoint); no inline script or style, no framing
 * (RFC 6749 §10.13 clickjacking; docs/SECURITY.md SE-06).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The built files' names: content-hashed, flat, never a dotfile nor a path. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * dist/console: from this module in a checkout (src/http/console.ts, run by swc) and once
 * compiled (dist/src/http/console.js). Chosen by what runs, not by what exists: from the
 * sources, `../../console/` is the console's source folder, whose index.html is not a build.
 */
export const BUILT_CONSOLE = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../console/' : '../../dist/console/', import.meta.url));

export interface ConsoleOptions {
  /** The provider's issuer; the console is mounted at its path + `/admin`. */
  issuer: string;
  brand: Brand;
  /** While it answers true, the page sends browsers to `<base>/setup` (the first-run page). */
  setupOpen?: () => Promise<boolean>;
  /** The build's directory (index.html and assets/); default BUILT_CONSOLE. */
  files?: string;
}

/** What the page learns from the server (console/src/config.ts reads it). */
export interface ConsoleConfig {
  issuer: string;
  graphql: string;
  clientId: string;
  base: string;
  productName: string;
}

export function consoleConfig(issuer: string, brand: Brand): ConsoleConfig {
  const trimmed = issuer.replace(/\/$/, '');
  const url = new URL(trimmed);
  return { issuer: trimmed, graphql: `${url.origin}/graphql`, clientId: CONSOLE_CLIENT_ID, base: `${url.pathname.replace(/\/$/, '')}/admin`, productName: brand.name };
}

/**
 * The built index.html made ready to serve: its relative asset URLs made absolute under `base`
 * (the page is served at nested paths such as /admin/users/…), and the configuration injected
 * right before `</head>`, escaped for an attribute.
 */
export function renderIndex(built: string, config: ConsoleConfig): string {
  const meta = `<meta name="jwt-oidc-console" content="${escapeHtml(JSON.stringify(config))}">\n`;
  return built.replaceAll('"./assets/', () => `"${config.base}/assets/`).replace(/<\/head>/i, (end) => meta + end);
}

/**
 * Mounted at `<issuer path>/admin`, after the provider router. A plain middleware: GET and HEAD
 * only; anything else, and `/setup` once the first-run page is gone, falls through to the 404.
 */
export function consoleRouter({ issuer, brand, setupOpen, files = BUILT_CONSOLE }: ConsoleOptions): RequestHandler {
  const config = consoleConfig(issuer, brand);
  const assets = join(files, 'assets');
  let index: string | undefined;

  /** index.html, rewritten once; undefined while there is no build (it may appear later). */
  async function indexPage(): Promise<string | undefined> {
    if (index === undefined) {
      const built = await readFile(join(files, 'index.html'), 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
        throw e;
      });
      if (built !== undefined) index = renderIndex(built, config);
    }
    return index;
  }

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/assets/')) return sendAsset(req, res, next);
    if (req.path === '/setup') return next();
    servePage(res).catch(next);
  };

  function sendAsset(req: Request, res: Response, next: (err?: unknown) => void): void {
    const name = req.path.slice('/assets/'.length);
    if (!ASSET_NAME.test(name)) return notFound(req, res);
    // Content-hashed names: a new build has new names, so a year and `immutable` are safe.
    res.sendFile(join(assets, name), { maxAge: '365d', immutable: true, dotfiles: 'deny' }, (err?: NodeJS.ErrnoException & { status?: number }) => {
      if (!err) return;
      if (!res.headersSent && (err.status === 404 || err.code === 'ENOENT' || err.code === 'EISDIR')) return notFound(req, res);
      next(err);
    });
  }

  async function servePage(res: Response): Promise<void> {
    if (setupOpen && (await setupOpen())) {
      return void res.status(303).set({ Location: `${config.base}/setup`, 'Cache-Control': 'no-store' }).end();
    }
    const body = await indexPage();
    if (body === undefined) {
      return void res.status(503).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': PAGE_CSP }).send(notBuiltPage());
    }
    // Revalidated at every visit: a new build must reach browsers at once; its assets are cached.
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'Content-Security-Policy': CONSOLE_CSP }).send(body);
  }
}

/** A checkout that never ran the build: say how to get the console, under the pages' strict policy. */
function notBuiltPage(): string {
  return page({
    title: 'Admin console not built',
    body: html`<h1>Admin console not built</h1>
<p class="sub">The admin console is not built: run <code>npm run build</code>, then reload this page.</p>
<p>Meanwhile the GraphQL API at <code>/graphql</code> administers users, clients and keys.</p>`.value,
  });
}
