/**
 * The packages' README examples are what users copy. Here, a fast check in the checkout: each
 * package README opens with one complete TypeScript example, and any further one names its file
 * on its first line (`// file: subscriptions.ts`); every one compiles with strict settings
 * against the packages' published entries (`@jwt-oidc/…` resolved through the workspace links
 * and each package.json `exports` to the built declarations). test/packages/ then installs the
 * packed tarballs into fresh apps and runs the same examples against real providers.
 * The root README names every package with its install line.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const PACKAGES = ['resource', 'apollo', 'express'] as const;
const examplesOf = (markdown: string) => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const readme = (p: string) => readFileSync(`${ROOT}/${p}`, 'utf8');

describe('README examples', () => {
  it('each package README opens with one complete example; every further one names its file; each imports its own package', () => {
    for (const name of PACKAGES) {
      const examples = examplesOf(readme(`packages/${name}/README.md`));
      expect(examples.length, name).toBeGreaterThanOrEqual(1);
      expect(examples[0]!.startsWith('// file:'), `${name}: the first example is the main one`).toBe(false);
      for (const example of examples.slice(1)) expect(example.split('\n')[0], name).toMatch(/^\/\/ file: [a-z0-9-]+\.ts$/);
      for (const example of examples) expect(example).toContain(`from '@jwt-oidc/${name}'`);
    }
  });

  it('the root README names each package, links its README and gives its install line', () => {
    const root = readme('README.md');
    for (const name of PACKAGES) {
      expect(root).toContain(`(packages/${name}/README.md)`);
      expect(root).toMatch(new RegExp(`npm install @jwt-oidc/${name}\\b`));
    }
    expect(root).not.toMatch(/from 'jwt-oidc\/(apollo|express)'/); // the old subpath entries are gone
  });

  it('compile with tsc --strict against the published types', async () => {
    // Inside the checkout, so that `@jwt-oidc/…` resolves through node_modules to the packages.
    const dir = `${ROOT}/test/.readme-examples`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      for (const name of PACKAGES) {
        examplesOf(readme(`packages/${name}/README.md`)).forEach((example, i) => writeFileSync(`${dir}/${name}-${i}.ts`, example));
      }
      writeFileSync(
        `${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], lib: ['ES2023'] },
          include: ['*.ts'],
        }),
      );
      const result = await promisify(execFile)(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', `${dir}/tsconfig.json`], { cwd: dir }).then(
        () => ({ code: 0, out: '' }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
