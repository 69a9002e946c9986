/**
 * The scripts of the passkey pages (docs/ACCOUNTS.md "Passkeys"), below the issuer: the browser
 * part of @simplewebauthn (its UMD bundle, from the installed dependency) and the pages' own
 * (src/interaction/views/passkey.ts). Served by the issuer, so the pages allow `script-src 'self'`
 * and no inline script. The bundle is found through the package's resolution, the way Node finds
 * it in a checkout, a packed install and `npm ci --omit=dev` alike.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Request, Response, Router } from 'express';
import { PASSKEY_SCRIPT, PASSKEY_SCRIPT_PATH, WEBAUTHN_LIBRARY_PATH } from '../interaction/views/passkey.js';

/** The package's main (script/index.js) sits beside dist/: the package exports no other path. */
function libraryBundle(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

let bundle: string | undefined;

function script(body: () => string) {
  return (_req: Request, res: Response) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff', 'Cross-Origin-Resource-Policy': 'same-origin' }).send(body());
  };
}

/** Routes GET (and HEAD) of both scripts on `router` (mounted at the issuer's path). */
export function routePasskeyScripts(router: Router): void {
  router.get(WEBAUTHN_LIBRARY_PATH, script(() => (bundle ??= libraryBundle())));
  router.get(PASSKEY_SCRIPT_PATH, script(() => PASSKEY_SCRIPT));
}
