/**
 * The README's TypeScript examples are what users copy: they must compile against the package's
 * public entries (`jwt-oidc/apollo`, `jwt-oidc/express`, resolved through package.json
 * `exports` to the built declarations) with strict settings.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('has examples for both library entries', () => {
    expect(examples.some((e) => e.includes("from 'jwt-oidc/apollo'"))).toBe(true);
    expect(examples.some((e) => e.includes("from 'jwt-oidc/express'"))).toBe(true);
  });

  it('compile with tsc --strict against the published types', async () => {
    // Inside the package, so that `jwt-oidc/…` resolves to this package (self-reference).
    const dir = `${ROOT}/test/.readme-examples`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      examples.forEach((code, i) => writeFileSync(`${dir}/example-${i}.ts`, `export {};\n${code}`));
      writeFileSync(
        `${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], lib: ['ES2023', 'DOM'] },
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
