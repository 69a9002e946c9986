/**
 * The admin console in Chromium (test/e2e/console-*.test.ts): a browser profile signed in to
 * `<issuer>/admin` through the provider's login page, with its console errors and CSP violations
 * collected; screenshots for docs/console/ (README "Admin console").
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

/** A fresh profile at `<issuer>/admin<path>`, signed in as `user` on the provider's login page. */
export async function openConsole(browser: Browser, p: TestProvider, user: { username: string; password: string }, path = '/', options: { colorScheme?: 'light' | 'dark'; width?: number } = {}): Promise<ConsoleVisit> {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: { width: options.width ?? 1280, height: 800 } });
  const page = await context.newPage();
  const console = watchConsole(page);
  await page.goto(`${p.issuer}/admin${path}`);
  await signInOnProviderPage(page, user);
  await page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/callback');
  return { context, page, console };
}

export async function signInOnProviderPage(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The main heading of the console's current page, once shown. */
export async function heading(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Where the README's screenshots live; tests write there only with UPDATE_SCREENSHOTS=1. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/console/', import.meta.url));

/**
 * The page at 375 and 1280 px in the light and the dark scheme: into docs/console/ with
 * UPDATE_SCREENSHOTS=1 (`npm run docs:screenshots`), else into `scratch` — taken either way, so
 * that a page that cannot render fails here. Returns the files written.
 */
export async function screenshots(page: Page, name: string, scratch: string): Promise<string[]> {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? SCREENSHOT_DIR : scratch;
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
