/**
 * One version for the service and its packages (README "Libraries for other servers"): the
 * committed manifests agree, and `npm run version:set` moves them all, dependencies included.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestPaths, versionProblems, withVersion, type Manifest } from '../../scripts/lib/versions.js';
import { ROOT } from '../support/cli.js';

const manifests = manifestPaths(ROOT).map((p) => JSON.parse(readFileSync(`${ROOT}/${p}`, 'utf8')) as Manifest);

describe('one version for all', () => {
  it('the service and the three packages share a version, and depend on each other at exactly it', () => {
    expect(manifests.map((m) => m.name)).toEqual(['jwt-oidc', '@jwt-oidc/resource', '@jwt-oidc/apollo', '@jwt-oidc/express']);
    expect(versionProblems(manifests)).toEqual([]);
    expect(manifests[0]!.dependencies).toMatchObject({ '@jwt-oidc/resource': manifests[0]!.version, '@jwt-oidc/apollo': manifests[0]!.version, '@jwt-oidc/express': manifests[0]!.version });
  });

  it('the lockfile records the same versions', () => {
    const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8')) as { version: string; packages: Record<string, { version?: string }> };
    expect(lock.version).toBe(manifests[0]!.version);
    for (const dir of ['packages/resource', 'packages/apollo', 'packages/express']) expect(lock.packages[dir]?.version, dir).toBe(manifests[0]!.version);
  });

  it('withVersion raises every manifest and every sibling dependency, and nothing else', () => {
    const next = withVersion(manifests, '9.8.7-rc.1');
    expect(versionProblems(next)).toEqual([]);
    expect(next.every((m) => m.version === '9.8.7-rc.1')).toBe(true);
    expect(next[2]!.dependencies!['@jwt-oidc/resource']).toBe('9.8.7-rc.1');
    expect(next[2]!.peerDependencies).toEqual(manifests[2]!.peerDependencies); // third-party ranges untouched
    expect(next[3]!.dependencies!['openid-client']).toBe(manifests[3]!.dependencies!['openid-client']);
    expect(manifests[0]!.version).not.toBe('9.8.7-rc.1'); // the input is not mutated
  });

  it('refuses what is not a semantic version, and reports strays', () => {
    for (const bad of ['1.2', 'v1.2.3', '01.2.3', '1.2.3 ', '']) expect(() => withVersion(manifests, bad)).toThrow(/semantic version/);
    const stray = manifests.map((m) => (m.name === '@jwt-oidc/apollo' ? { ...m, dependencies: { ...m.dependencies, '@jwt-oidc/resource': '^0.0.1' } } : m));
    expect(versionProblems(stray)).toEqual([`@jwt-oidc/apollo dependencies names @jwt-oidc/resource@^0.0.1, not ${manifests[0]!.version}`]);
  });
});
