/**
 * A private copy of the build for the run. Other people rebuild this checkout while a benchmark
 * runs (`npm run build` starts with `rm -rf dist`, then tsc rewrites every file): a provider, CLI
 * call or peer started from `dist/` in that window dies on a missing or half-written module.
 *
 * The copy (bench/.build/<pid>, git-ignored) holds package.json, dist/, the workspace packages
 * (package.json and dist/ under node_modules/@jwt-oidc/, found before the checkout's links) and
 * the peers, so:
 *   - other bare imports still resolve by walking up to the checkout's node_modules;
 *   - the ESM type and the paths dist/ derives from its own location (migrations, version) hold;
 *   - the Apollo plugin peer's `import('@jwt-oidc/apollo')` lands in this copy, the same build
 *     as the providers'.
 * It is taken only while dist/ holds still (the same listing before and after copying), and
 * proven loadable before use.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, sleep } from './servers.js';

export interface BuildSnapshot {
  /** Root of the copy (its package.json, dist/, bench/peers/). */
  dir: string;
  /** `…/dist/src/cli.js` of the copy. */
  cli: string;
  remove(): void;
}

/** path → size and mtime of every file under `dir`. */
function listing(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort().join('\n');
}

const PACKAGES = ['resource', 'apollo', 'express'];
const REQUIRED = ['dist/src/cli.js', 'dist/migrations', ...PACKAGES.map((name) => `packages/${name}/dist/index.js`)];

export async function snapshotBuild(): Promise<BuildSnapshot> {
  const dir = join(ROOT, 'bench/.build', String(process.pid));
  for (let attempt = 1; ; attempt++) {
    try {
      if (!REQUIRED.every((f) => existsSync(join(ROOT, f)))) throw new Error('dist/ is incomplete');
      const before = listing(join(ROOT, 'dist'));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'bench'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'bench/peers'), join(dir, 'bench/peers'), { recursive: true });
      for (const name of PACKAGES) {
        cpSync(join(ROOT, 'packages', name, 'package.json'), join(dir, 'node_modules/@jwt-oidc', name, 'package.json'));
        cpSync(join(ROOT, 'packages', name, 'dist'), join(dir, 'node_modules/@jwt-oidc', name, 'dist'), { recursive: true });
      }
      if (listing(join(ROOT, 'dist')) !== before) throw new Error('dist/ changed while it was copied');
      // Loads the CLI and everything it imports: a truncated module fails here, not mid-run.
      execFileSync(process.execPath, [join(dir, 'dist/src/cli.js'), '--version'], { cwd: ROOT, stdio: 'pipe' });
      return { dir, cli: join(dir, 'dist/src/cli.js'), remove: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (e) {
      if (attempt >= 30) throw new Error(`no stable build to benchmark: ${(e as Error).message}`);
      process.stderr.write(`[bench] waiting for a stable dist/ (${(e as Error).message.split('\n')[0]})\n`);
      await sleep(2000);
    }
  }
}
