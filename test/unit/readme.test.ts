/** The README is part of the product: its settings table comes from the schema and stays true. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsIntoReadme } from '../../src/config/docs.js';
import { definitions, SETTING_KEYS } from '../../src/config/definitions.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('README', () => {
  it('has the settings table generated from the schema (npm run docs:settings)', () => {
    expect(renderSettingsIntoReadme(readme), 'README settings table is stale: run npm run docs:settings').toBe(readme);
    for (const key of SETTING_KEYS) expect(readme).toContain(`\`${definitions[key].env}\``);
  });

  it('starts a newcomer in two commands and names the test command', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    for (const script of ['start', 'test', 'build', 'typecheck', 'schema:emit', 'migration:create']) {
      expect(pkg.scripts[script], script).toBeDefined();
    }
  });

  it('documents every CLI command', () => {
    for (const command of ['serve', 'migrate', 'config', 'users create', 'users list', 'users set-password', 'users delete']) {
      expect(readme).toContain(`jwt-oidc ${command}`);
    }
  });

  it('shows the admin console\'s screenshots from docs/console (npm run docs:screenshots), each at both widths and in both schemes', () => {
    const images = [...readme.matchAll(/!\[[^\]]+\]\((docs\/console\/[^)]+\.png)\)/g)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const image of images) {
      const [, name] = /^docs\/console\/(.+)-(?:375|1280)-(?:light|dark)\.png$/.exec(image) ?? [];
      expect(name, image).toBeDefined();
      for (const variant of ['375-light', '375-dark', '1280-light', '1280-dark']) {
        expect(existsSync(new URL(`../../docs/console/${name}-${variant}.png`, import.meta.url)), `${name}-${variant}.png`).toBe(true);
      }
    }
  });

  it('shows the account page\'s screenshots from docs/account, each at both widths and in both schemes', () => {
    const images = [...readme.matchAll(/!\[[^\]]+\]\((docs\/account\/[^)]+\.png)\)/g)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThanOrEqual(1);
    for (const image of images) {
      const [, name] = /^docs\/account\/(.+)-(?:375|1280)-(?:light|dark)\.png$/.exec(image) ?? [];
      expect(name, image).toBeDefined();
      for (const variant of ['375-light', '375-dark', '1280-light', '1280-dark']) {
        expect(existsSync(new URL(`../../docs/account/${name}-${variant}.png`, import.meta.url)), `${name}-${variant}.png`).toBe(true);
      }
    }
  });
});

