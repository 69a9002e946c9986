/**
 * `npm run version:set -- X.Y.Z`: sets one version on the service and every package of the
 * workspace, pins the dependencies between them to it, and updates package-lock.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { manifestPaths, withVersion, type Manifest } from './lib/versions.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = process.argv[2];
if (!version) {
  console.error('usage: npm run version:set -- X.Y.Z');
  process.exit(2);
}
const paths = manifestPaths(root);
const manifests = paths.map((p) => JSON.parse(readFileSync(`${root}/${p}`, 'utf8')) as Manifest);
let next: Manifest[];
try {
  next = withVersion(manifests, version);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
next.forEach((m, i) => writeFileSync(`${root}/${paths[i]}`, `${JSON.stringify(m, null, 2)}\n`));
execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
for (const m of next) console.log(`${m.name}@${m.version}`);
