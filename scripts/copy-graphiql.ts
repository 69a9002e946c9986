/**
 * Part of `npm run build`: copies the GraphQL IDE's files (src/http/graphiql-assets.ts: GraphiQL's
 * UMD bundle and stylesheet, React's UMD builds, their licenses) from node_modules into
 * dist/assets/graphiql, where the compiled service serves them from. The test run's global setup
 * calls it after compiling, as the build does.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GRAPHIQL_FILES, GRAPHIQL_LICENSES, packageFile } from '../src/http/graphiql-assets.js';

export const GRAPHIQL_TARGET = fileURLToPath(new URL('../dist/assets/graphiql/', import.meta.url));

export function copyGraphiql(target = GRAPHIQL_TARGET): string[] {
  mkdirSync(target, { recursive: true });
  return [...GRAPHIQL_FILES, ...GRAPHIQL_LICENSES].map((file) => {
    const source = packageFile(file);
    if (!source) throw new Error(`${file.package} is not installed: npm ci (it is a devDependency) before the build`);
    copyFileSync(source, join(target, file.name));
    return file.name;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`copied ${copyGraphiql().join(', ')} to dist/assets/graphiql`);
}
