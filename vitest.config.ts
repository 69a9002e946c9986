import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.js';

const require = createRequire(import.meta.url);

export default defineConfig({
  // esbuild emits no decorator metadata, which MikroORM and type-graphql need: swc compiles instead.
  plugins: [
    swc.vite({
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
  // One copy of graphql for Vite-transformed code and for Node-loaded packages (two copies refuse
  // each other's schema objects: "Cannot use GraphQLSchema from another module or realm").
  // The workspace packages from their sources, as `--conditions=jwt-oidc-source` does for
  // `npm start`; processes that tests spawn load the built packages, as users do.
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: require.resolve('graphql') },
      { find: /^@jwt-oidc\/(resource|apollo|express)$/, replacement: fileURLToPath(new URL('./packages/$1/src/index.ts', import.meta.url)) },
      { find: /^@jwt-oidc\/express\/user-mapping$/, replacement: fileURLToPath(new URL('./packages/express/src/user-mapping.ts', import.meta.url)) },
    ],
  },
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    pool: 'forks',
    // Most tests wait on sockets and PostgreSQL, not the CPU: more files at once than cores.
    maxWorkers: 4,
    // One queue for the three projects, the longest files first (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
    // Each project starts only what its tests need, so that `npm run test:unit` (`--project
    // unit`) neither compiles nor starts PostgreSQL. The settings above apply to all three.
    projects: [
      // Pure rules: no database, no build, no browser, no process of the command.
      // Without isolation, as the projects below: a unit file must not change what another imports.
      // The admin console's logic and components too (console/test, JSX as its tsconfig says),
      // rendered with react-dom/server.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'console/test/**/*.test.{ts,tsx}'], isolate: false } },
      // The service in-process on a real PostgreSQL (and loopback HTTP): the security rows and
      // the fuzzing drive it like any client.
      // Without isolation, as the e2e project (see there): each file starts and stops its own
      // servers on its own database.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          exclude: ['test/integration/fake-mode*.test.ts'],
          globalSetup: ['test/support/setup-postgres.ts'],
          setupFiles: ['test/support/password-cost.ts'],
          isolate: false,
        },
      },
      // The provider's suites again in the fake mode: these files set the mode before they load
      // the suites (test/support/provider.ts TEST_MODE), so each runs in a fresh module graph.
      {
        extends: true,
        test: {
          name: 'fake-mode',
          include: ['test/integration/fake-mode*.test.ts'],
          globalSetup: ['test/support/setup-postgres.ts'],
          setupFiles: ['test/support/password-cost.ts'],
        },
      },
      // The built command as a child process, Chromium, the packed packages and peer libraries.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/packages/**/*.test.ts'],
          globalSetup: ['test/support/setup-postgres.ts', 'test/support/setup-build.ts'],
          setupFiles: ['test/support/password-cost.ts'],
          // A worker runs one file after another in the same module graph, instead of a fresh
          // process importing the service, Express, Apollo and MikroORM again for each file (a
          // second and a half of CPU per file, a fifth of what these files cost). What these
          // files test runs in processes of its own (the command, Chromium, the example apps) or
          // in servers each file starts and stops; so an e2e file must not change what another
          // would import (process.env read at import, a module's state), nor import another
          // test file. The fake-mode files do both: they are a project of their own, isolated.
          isolate: false,
        },
      },
    ],
  },
});
