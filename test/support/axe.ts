/**
 * Accessibility checks with axe-core in the real browser. axe's source is evaluated through the
 * DevTools protocol (`page.evaluate`), which the pages' Content-Security-Policy does not govern,
 * so the pages are checked with their real CSP on (never `bypassCSP`: it would hide the very
 * form-action and style-src mistakes the browser suites are there to catch).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The widths every page is checked at: a small phone and a laptop. */
export const WIDTHS = [375, 1280] as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * One rule not checked on the elements inside `within` (a CSS selector), for third-party markup
 * that the page cannot change; every use says why at the call. Other rules, and the rule
 * elsewhere on the page, still apply.
 */
export interface AxeIgnore {
  rule: string;
  within: string;
}

/** axe's serious and critical violations of the page as it is now (WCAG 2.x A and AA rules). */
export async function axeViolations(page: Page, ignore: readonly AxeIgnore[] = []): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (ignore) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    const ignored = (rule: string, target: unknown[]) => {
      const element = typeof target[0] === 'string' ? document.querySelector(target[0]) : null;
      return ignore.some((i) => i.rule === rule && element?.closest(i.within));
    };
    return r.violations
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.filter((n) => !ignored(v.id, n.target)).map((n) => String(n.target)) }))
      .filter((v) => v.targets.length > 0);
  }, ignore);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Checks the page at each width in WIDTHS: no serious or critical axe violation, no horizontal
 * scrolling on the phone width, a `lang` and a viewport. Throws with every finding and `label`.
 */
export async function expectAccessible(page: Page, label: string, ignore: readonly AxeIgnore[] = []): Promise<void> {
  const findings: string[] = [];
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    for (const v of await axeViolations(page, ignore)) findings.push(`${width}px ${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
    const layout = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      lang: document.documentElement.lang,
      viewport: !!document.querySelector('meta[name="viewport"]'),
    }));
    if (layout.overflow > 1) findings.push(`${width}px: scrolls sideways by ${layout.overflow}px`);
    if (!layout.lang) findings.push('no lang on <html>');
    if (!layout.viewport) findings.push('no viewport meta');
  }
  if (original) await page.setViewportSize(original);
  if (findings.length) throw new Error(`${label} (${page.url()}):\n  ${[...new Set(findings)].join('\n  ')}`);
}

/**
 * Collects the console errors and CSP violations of a page (a blocked form-action redirect shows
 * only there); `assertNone()` throws if any occurred. HTTP error statuses of loaded documents
 * ("Failed to load resource: … status of 401") are the pages' intended answers, not errors.
 */
export function watchConsole(page: Page): { errors: string[]; assertNone(): void } {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of \d{3}/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    errors,
    assertNone() {
      if (errors.length) throw new Error(`browser errors:\n  ${errors.join('\n  ')}`);
    },
  };
}
