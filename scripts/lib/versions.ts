/**
 * One version for the service and every package of the workspace, raised together: the
 * packages depend on each other at exactly that version, so a set installed together is always
 * a set that was tested together.
 */
import { readFileSync } from 'node:fs';

export interface Manifest {
  name: string;
  version: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** The root manifest's path and those of its workspaces, relative to `root`. */
export function manifestPaths(root: string): string[] {
  const rootManifest = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as Manifest;
  return ['package.json', ...(rootManifest.workspaces ?? []).map((w) => `${w}/package.json`)];
}

/** The manifests with `version` everywhere and every dependency on a sibling pinned to it. */
export function withVersion(manifests: Manifest[], version: string): Manifest[] {
  if (!SEMVER.test(version)) throw new Error(`not a semantic version: "${version}"`);
  const names = new Set(manifests.map((m) => m.name));
  return manifests.map((m) => {
    const next: Manifest = { ...m, version };
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies'] as const) {
      if (!m[field]) continue;
      next[field] = Object.fromEntries(Object.entries(m[field]!).map(([dep, range]) => [dep, names.has(dep) ? version : range]));
    }
    return next;
  });
}

/** What breaks the rule: one line per manifest or dependency that strays from the root's version. */
export function versionProblems(manifests: Manifest[]): string[] {
  const version = manifests[0]!.version;
  const names = new Set(manifests.map((m) => m.name));
  const problems: string[] = [];
  for (const m of manifests) {
    if (m.version !== version) problems.push(`${m.name} is at ${m.version}, not ${version}`);
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies'] as const) {
      for (const [dep, range] of Object.entries(m[field] ?? {})) {
        if (names.has(dep) && range !== version) problems.push(`${m.name} ${field} names ${dep}@${range}, not ${version}`);
      }
    }
  }
  return problems;
}
