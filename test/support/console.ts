/**
 * The browser pages in Chromium (test/e2e/console-*.test.ts, account-browser.test.ts): a browser
 * profile signed in to `<issuer>/admin` or `<issuer>/account` through the provider's login page,
 * with its console errors and CSP violations collected; screenshots for docs/console/ (README
 * "Admin console") and docs/account/ (README "The account page").
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { watchConsole } from './axe.js';
import type { TestProvider } from './provider.js';

export interface ConsoleVisit {
  context: BrowserContext;
  page: Page;
  console: ReturnType<typeof watchConsole>;
}

interface VisitOptions {
  colorScheme?: 'light' | 'dark';
  width?: number;
}

/** A fresh profile at `<issuer>/admin<path>`, signed in as `user` on the provider's login page. */
export function openConsole(browser: Browser, p: TestProvider, user: { username: string; password: string }, path = '/', options: VisitOptions = {}): Promise<ConsoleVisit> {
  return openSignedIn(browser, p, user, `/admin${path}`, options);
}

/** A fresh profile at `<issuer>/account`, signed in as `user` on the provider's login page. */
export function openAccount(browser: Browser, p: TestProvider, user: { username: string; password: string }, options: VisitOptions = {}): Promise<ConsoleVisit> {
  return openSignedIn(browser, p, user, '/account', options);
}

/** A fresh profile at the page `path` (below the issuer), through the provider's login page and back. */
async function openSignedIn(browser: Browser, p: TestProvider, user: { username: string; password: string }, path: string, options: VisitOptions): Promise<ConsoleVisit> {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: { width: options.width ?? 1280, height: 800 } });
  const page = await context.newPage();
  const console = watchConsole(page);
  await page.goto(`${p.issuer}${path}`);
  await signInOnProviderPage(page, user);
  const mount = path.split('/').slice(0, 2).join('/');
  await page.waitForURL((u) => u.pathname.startsWith(mount) && u.pathname !== `${mount}/callback`);
  return { context, page, console };
}

export async function signInOnProviderPage(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The main heading of the console's current page, once shown. */
export async function heading(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Where the README's screenshots live; tests write there only with UPDATE_SCREENSHOTS=1. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/console/', import.meta.url));
export const ACCOUNT_SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/account/', import.meta.url));

/**
 * The page at 375 and 1280 px in the light and the dark scheme: into `docs` (docs/console/ by
 * default) with UPDATE_SCREENSHOTS=1 (`npm run docs:screenshots`), else into `scratch` — taken
 * either way, so that a page that cannot render fails here. Returns the files written.
 */
export async function screenshots(page: Page, name: string, scratch: string, docs = SCREENSHOT_DIR): Promise<string[]> {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? docs : scratch;
  mkdirSync(dir, { recursive: true });
  const original = page.viewportSize();
  const files: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
      const file = join(dir, `${name}-${width}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: width === 375 });
      files.push(file);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (original) await page.setViewportSize(original);
  return files;
}
