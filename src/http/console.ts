/**
 * The pages of the console's build (docs/ARCHITECTURE.md "The browser pages"): the single-page
 * applications that `npm run build` writes to dist/console — the admin console (index.html,
 * under `<issuer path>/admin`, with ADMIN_CONSOLE) and the account page (account.html, under
 * `<issuer path>/account`, with ACCOUNT_PAGE) — served in provider mode by one router,
 * parameterised by `SpaPage`. Their files under `assets/` have content-hashed names and are
 * cached for a year; the page's own paths answer the page itself (the application routes in the
 * browser), with the configuration in a meta tag, since its policy allows no inline script.
 *
 * Both are mounted after the provider router, which keeps what it serves below the same paths:
 * the first-run page `/admin/setup`, and the server-rendered account pages (`/account/register`,
 * `/account/verify…`, `/account/password-reset…`). While no administrator exists, the console
 * sends the browser to `/admin/setup`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler, Response } from 'express';
import { ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID } from '../clients/client-service.js';
import { escapeHtml, html, raw } from '../interaction/views/html.js';
import { page, PAGE_CSP, type Brand } from '../interaction/views/layout.js';
import { notFound } from './errors.js';

/**
 * The pages' policy: their own scripts, styles, fonts and images (and data: images), requests to
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

/**
 * The account page's policy: the console's. It shows no image from elsewhere either — the
 * profile picture is a URL the user types, which would otherwise let anyone who can set it learn
 * when the page is opened (docs/SECURITY.md AP-04).
 */
export const ACCOUNT_CSP = CONSOLE_CSP;

/** The built files' names: content-hashed, flat, never a dotfile nor a path. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * dist/console: from this module in a checkout (src/http/console.ts, run by swc) and once
 * compiled (dist/src/http/console.js). Chosen by what runs, not by what exists: from the
 * sources, `../../console/` is the console's source folder, whose index.html is not a build.
 */
export const BUILT_CONSOLE = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../console/' : '../../dist/console/', import.meta.url));

/** One single-page application of the build, and how it is served. */
export interface SpaPage {
  /** Its name in a sentence ("the admin console"). */
  name: string;
  /** Its HTML file in the build's directory. */
  file: string;
  /** Where it is mounted below the issuer's path. */
  mount: string;
  /** The client it signs in as (src/console/client.ts). */
  clientId: string;
  csp: string;
  /**
   * Its paths below the mount: `all` (the console routes every path in the browser), or only
   * these, so that whatever else is below the mount stays another router's (the account pages).
   */
  paths: 'all' | readonly string[];
  /** Below the mount but never the page's, even where nobody else serves it (the first-run page, once gone, is a 404). */
  reserved?: readonly string[];
  /** What to use meanwhile, said on the page that says the build is missing. */
  meanwhile?: string;
}

/** The admin console (docs/CONSOLE.md). */
export const CONSOLE_PAGE: SpaPage = {
  name: 'admin console',
  file: 'index.html',
  mount: '/admin',
  clientId: CONSOLE_CLIENT_ID,
  csp: CONSOLE_CSP,
  paths: 'all',
  reserved: ['/setup'],
  meanwhile: 'Meanwhile the GraphQL API at <code>/graphql</code> administers users, clients and keys.',
};

/**
 * The account page (docs/ACCOUNTS.md "The account page"): one page and its callback. Every other
 * path below /account belongs to the server-rendered account pages, present or to come.
 */
export const ACCOUNT_PAGE: SpaPage = {
  name: 'account page',
  file: 'account.html',
  mount: '/account',
  clientId: ACCOUNT_CLIENT_ID,
  csp: ACCOUNT_CSP,
  paths: ['/', '/callback'],
};

export interface SpaOptions {
  /** The provider's issuer; the page is mounted at its path + the page's mount. */
  issuer: string;
  brand: Brand;
  /** While it answers true, the page sends browsers to `<base>/setup` (the first-run page). */
  setupOpen?: () => Promise<boolean>;
  /** The build's directory (the HTML files and assets/); default BUILT_CONSOLE. */
  files?: string;
}

/** What the page learns from the server (console/src/config.ts reads it). */
export interface SpaConfig {
  issuer: string;
  graphql: string;
  clientId: string;
  base: string;
  productName: string;
}

export function spaConfig(spa: SpaPage, issuer: string, brand: Brand): SpaConfig {
  const trimmed = issuer.replace(/\/$/, '');
  const url = new URL(trimmed);
  return { issuer: trimmed, graphql: `${url.origin}/graphql`, clientId: spa.clientId, base: `${url.pathname.replace(/\/$/, '')}${spa.mount}`, productName: brand.name };
}

/**
 * A built HTML file made ready to serve: its relative asset URLs made absolute under `base` (the
 * console is served at nested paths such as /admin/users/…), and the configuration injected
 * right before `</head>`, escaped for an attribute.
 */
export function renderIndex(built: string, config: SpaConfig): string {
  const meta = `<meta name="jwt-oidc-console" content="${escapeHtml(JSON.stringify(config))}">\n`;
  return built.replaceAll('"./assets/', () => `"${config.base}/assets/`).replace(/<\/head>/i, (end) => meta + end);
}

/**
 * Mounted at `<issuer path><mount>`, after the provider router. A plain middleware: GET and HEAD
 * only; anything else, and any path that is not the page's, falls through to the 404.
 */
export function spaRouter(spa: SpaPage, { issuer, brand, setupOpen, files = BUILT_CONSOLE }: SpaOptions): RequestHandler {
  const config = spaConfig(spa, issuer, brand);
  const assets = join(files, 'assets');
  let index: string | undefined;

  /** The page's HTML, rewritten once; undefined while there is no build (it may appear later). */
  async function indexPage(): Promise<string | undefined> {
    if (index === undefined) {
      const built = await readFile(join(files, spa.file), 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
        throw e;
      });
      if (built !== undefined) index = renderIndex(built, config);
    }
    return index;
  }

  const isPage = (path: string) => !spa.reserved?.includes(path) && (spa.paths === 'all' || spa.paths.includes(path));

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/assets/')) return sendAsset(req, res, next);
    if (!isPage(req.path)) return next();
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
      return void res.status(503).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': PAGE_CSP }).send(notBuiltPage(spa));
    }
    // Revalidated at every visit: a new build must reach browsers at once; its assets are cached.
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'Content-Security-Policy': spa.csp }).send(body);
  }
}

/** The admin console under `<issuer path>/admin` (docs/CONSOLE.md). */
export const consoleRouter = (options: SpaOptions): RequestHandler => spaRouter(CONSOLE_PAGE, options);

/** The account page at `<issuer path>/account` and its callback (docs/ACCOUNTS.md "The account page"). */
export const accountPageRouter = (options: Omit<SpaOptions, 'setupOpen'>): RequestHandler => spaRouter(ACCOUNT_PAGE, options);

/** A checkout that never ran the build: say how to get the page, under the pages' strict policy. */
function notBuiltPage(spa: SpaPage): string {
  const title = `${spa.name[0]!.toUpperCase()}${spa.name.slice(1)} not built`;
  return page({
    title,
    body: html`<h1>${title}</h1>
<p class="sub">The ${spa.name} is not built: run <code>npm run build</code>, then reload this page.</p>${spa.meanwhile ? raw(`\n<p>${spa.meanwhile}</p>`) : ''}`.value,
  });
}
