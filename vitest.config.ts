import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // esbuild emits no decorator metadata; MikroORM and type-graphql need it (STACK.md trap 1).
  plugins: [
    swc.vite({
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
  // One copy of graphql for Vite-transformed code and for Node-loaded packages (trap 3).
  // The workspace packages from their sources, as `--conditions=jwt-oidc-source` does for
  // `npm start`; processes that tests spawn load the built packages, as users do.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: require.resolve('graphql') },
      { find: /^@jwt-oidc\/(resource|apollo|express)$/, replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    pool: 'forks',
    // Most tests wait on sockets and PostgreSQL, not the CPU: more files at once than cores.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
  },
});
