/**
 * The e2e tests run the real command (`bin/jwt-oidc.js` → `dist/`, which loads the workspace
 * packages from each `packages/<name>/dist`), install the packed packages and compile against
 * their declarations, so compile the packages, then the service, once per run, as
 * `npm run build` does (without deleting first: a process already running keeps its files),
 * including its copy of the GraphQL IDE's files into dist/assets/graphiql.
 * Type errors are reported by `npm run typecheck`, not here.
 */
import { execFile } from 'node:child_process';
import { copyGraphiql } from '../../scripts/copy-graphiql.js';

const PROJECTS = ['packages/resource/tsconfig.json', 'packages/apollo/tsconfig.json', 'packages/express/tsconfig.json', 'tsconfig.build.json'];

function tsc(project: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { cwd: new URL('../..', import.meta.url) }, (err, stdout) => {
      if (err && !/error TS/.test(stdout)) reject(err);
      else resolve();
    });
  });
}

export default async function setup(): Promise<void> {
  // In dependency order: each package compiles against the declarations of the one before.
  for (const project of PROJECTS) await tsc(project);
  copyGraphiql();
}
