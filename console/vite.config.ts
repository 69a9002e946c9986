/**
 * The build of the browser pages (docs/CONSOLE.md): `npm run build` writes dist/console, which
 * the service serves (src/http/console.ts) — index.html, the admin console, under <issuer>/admin,
 * and account.html, the account page, at <issuer>/account; they share their chunks. Relative asset URLs (`base: './'`):
 * the server makes index.html's absolute for the issuer's path; chunks import each other
 * relatively. No inline script or style anywhere, for the page's CSP (`script-src 'self'`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Everything as files: a data: URL or an inline script would need a weaker CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        account: fileURLToPath(new URL('account.html', import.meta.url)),
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic', development: false } },
  // React's production build whoever builds: Vite would otherwise take NODE_ENV from the
  // environment (`test` under the test runner, which builds the console when it is stale).
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
});
