/**
 * The e2e tests run the real command (`bin/jwt-oidc.js` → `dist/`, which loads the workspace
 * packages from each `packages/<name>/dist`), install the packed packages and compile against
 * their declarations, so compile the packages, then the service, once per run, as
 * `npm run build` does (without deleting first: a process already running keeps its files),
 * including its copy of the GraphQL IDE's files into dist/assets/graphiql and the admin console
 * into dist/console (scripts/console-build.ts, itself skipped when nothing changed).
 * Type errors are reported by `npm run typecheck`, not here.
 *
 * No e2e test starts before this is done, so it does no more than the changes since the last
 * run need: a project none of whose inputs changed (its sources, its settings, the declarations
 * it compiles against, the installed dependencies) is not compiled again, and one that changed
 * is compiled incrementally, re-emitting what the change affects. What the last build was is
 * kept in node_modules/.cache (never in a dist/ that is packed or copied into the image), with
 * the size and time of each of its outputs: when one of them is gone or was written since (dist/
 * deleted by hand, `npm run build` in between, an interrupted build), the compiler's record no
 * longer describes dist/, so it is dropped and the project is compiled in full.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from '../../scripts/console-build.js';
import { copyGraphiql } from '../../scripts/copy-graphiql.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'jwt-oidc-test-build');

interface Project {
  name: string;
  tsconfig: string;
  outDir: string;
  /** Files and directories whose change can change what the compiler emits. */
  inputs: string[];
  /** Not the compiler's, under outDir (the GraphQL IDE's files and the console, built after it). */
  notEmitted?: string[];
}

const PACKAGE_INPUTS = ['packages/tsconfig.base.json', 'package-lock.json'];
const pkg = (name: string, dependsOn: string[] = []): Project => ({
  name,
  tsconfig: `packages/${name}/tsconfig.json`,
  outDir: `packages/${name}/dist`,
  inputs: [`packages/${name}/src`, `packages/${name}/tsconfig.json`, `packages/${name}/package.json`, ...PACKAGE_INPUTS, ...dependsOn.map((d) => `packages/${d}/dist`)],
});

/** In dependency order: each package compiles against the declarations of the one before. */
const PROJECTS: Project[] = [
  pkg('resource'),
  pkg('apollo', ['resource']),
  pkg('express', ['resource']),
  {
    name: 'service',
    tsconfig: 'tsconfig.build.json',
    outDir: 'dist',
    inputs: ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'packages/resource/dist', 'packages/apollo/dist', 'packages/express/dist'],
    notEmitted: ['dist/assets/', 'dist/console/'],
  },
];

const buildInfo = (p: Project) => join(CACHE, `${p.name}.tsbuildinfo`);
const stateFile = (p: Project) => join(CACHE, `${p.name}.json`);

interface BuildState {
  /** Of the inputs, when the outputs were emitted. */
  inputs: string;
  /** Of the outputs, as the build left them. */
  outputs: string;
}

function filesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [dir];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(join(ROOT, f)).isFile());
}

/** Path, size and modification time of every file. */
function fingerprint(files: string[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort()) {
    const { size, mtimeMs } = statSync(join(ROOT, f));
    hash.update(`${f}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const inputsOf = (p: Project) => fingerprint(p.inputs.flatMap(filesUnder));
const outputsOf = (p: Project) => fingerprint(filesUnder(p.outDir).filter((f) => !p.notEmitted?.some((prefix) => f.startsWith(prefix))));

function lastBuild(p: Project): BuildState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(p), 'utf8')) as BuildState;
  } catch {
    return undefined;
  }
}

function tsc(p: Project): Promise<void> {
  const args = ['node_modules/typescript/bin/tsc', '-p', p.tsconfig, '--incremental', '--tsBuildInfoFile', buildInfo(p)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT }, (err, stdout) => {
      if (err && !/error TS/.test(stdout)) reject(err);
      else resolve();
    });
  });
}

async function build(p: Project): Promise<void> {
  const last = lastBuild(p);
  const untouched = last?.outputs === outputsOf(p);
  const inputs = inputsOf(p);
  if (untouched && last?.inputs === inputs) return;
  if (!untouched) rmSync(buildInfo(p), { force: true });
  await tsc(p);
  writeFileSync(stateFile(p), JSON.stringify({ inputs, outputs: outputsOf(p) } satisfies BuildState));
}

export default async function setup(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  for (const p of PROJECTS) await build(p);
  copyGraphiql();
  // A run that serves a console built elsewhere (JWT_OIDC_TEST_CONSOLE_DIR) needs none here.
  if (!process.env.JWT_OIDC_TEST_CONSOLE_DIR) await buildConsole({ ifStale: true });
}
