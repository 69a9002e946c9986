/**
 * Builds the admin console (console/, docs/CONSOLE.md) into dist/console with Vite: part of
 * `npm run build`; `npm start` and the test run's global setup call it with `--if-stale`, which
 * skips the build when neither the console's sources nor the installed packages changed since
 * the last one and its output is as that build left it (kept in node_modules/.cache, never in
 * dist/, which is packed and copied into the image).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONSOLE_OUT = join(ROOT, 'dist', 'console');
const STATE = join(ROOT, 'node_modules', '.cache', 'jwt-oidc-console-build.json');
// The console's sources, the service's plain data it takes in (the audit events, the scopes in
// words), the installed packages.
const INPUTS = ['console', 'src/audit-events.ts', 'src/interaction/views/scope-words.ts', 'package-lock.json'];

function filesUnder(path: string): string[] {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [abs];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => join(abs, f))
    .filter((f) => statSync(f).isFile());
}

/** Path, size and modification time of every file. */
function fingerprint(files: string[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort()) {
    const { size, mtimeMs } = statSync(f);
    hash.update(`${f}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const inputs = () => fingerprint(INPUTS.flatMap(filesUnder));
const outputs = () => fingerprint(filesUnder('dist/console'));

function stale(): boolean {
  if (!existsSync(join(CONSOLE_OUT, 'index.html'))) return true;
  try {
    const last = JSON.parse(readFileSync(STATE, 'utf8')) as { inputs: string; outputs: string };
    return last.inputs !== inputs() || last.outputs !== outputs();
  } catch {
    return true;
  }
}

/** Builds unless `ifStale` and nothing changed; true when it built. */
export async function buildConsole({ ifStale = false } = {}): Promise<boolean> {
  if (ifStale && !stale()) return false;
  const before = inputs();
  // Vite is a development dependency: loaded only when building.
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'console', 'vite.config.ts'), mode: 'production' });
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  writeFileSync(STATE, JSON.stringify({ inputs: before, outputs: outputs() }));
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ifStale = process.argv.includes('--if-stale');
  try {
    const built = await buildConsole({ ifStale });
    // Before `npm start` (--if-stale) it says nothing: what the service prints comes first.
    if (built && !ifStale) console.error('built the admin console and the account page into dist/console');
  } catch (e) {
    console.error(`building the admin console failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
