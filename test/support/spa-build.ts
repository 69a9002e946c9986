/**
 * What `vite build` writes for the browser pages (dist/console, scripts/console-build.ts), in
 * small: index.html (the admin console) and account.html (the account page) with relative asset
 * URLs, hashed assets, and things never to serve; and the page's configuration read back from
 * its meta tag as a browser would. For the serving tests (src/http/console.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

const page = (title: string, script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<script type="module" crossorigin src="./assets/${script}"></script>
<link rel="stylesheet" crossorigin href="./assets/index-XyZ.css">
</head>
<body><div id="root"></div></body>
</html>
`;

export function fixtureBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-oidc-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), page('Admin console', 'index-AbC123.js'));
  writeFileSync(join(dir, 'account.html'), page('Your account', 'account-DeF456.js'));
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log("console");\n');
  writeFileSync(join(dir, 'assets', 'account-DeF456.js'), 'console.log("account");\n');
  writeFileSync(join(dir, 'assets', 'index-XyZ.css'), 'body{margin:0}\n');
  writeFileSync(join(dir, 'assets', '.env'), 'SECRET=1\n');
  writeFileSync(join(dir, 'secret.txt'), 'outside assets\n');
  return dir;
}

/** The meta tag's JSON, read back as a browser would (attribute entities decoded). */
export function configOf(html: string): Record<string, unknown> {
  const content = /<meta name="jwt-oidc-console" content="([^"]*)">/.exec(html)?.[1];
  expect(content, html).toBeDefined();
  const decoded = content!.replace(/&(quot|lt|gt|#39|#96|amp);/g, (_, e: string) => ({ quot: '"', lt: '<', gt: '>', '#39': "'", '#96': '`', amp: '&' })[e]!);
  return JSON.parse(decoded) as Record<string, unknown>;
}
