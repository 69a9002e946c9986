/**
 * Where the GraphQL IDE's files are: GraphiQL's prebuilt UMD bundle and stylesheet, and the React
 * UMD builds it runs on (devDependencies, exact versions). `npm run build` copies exactly these,
 * with their licenses, into dist/assets/graphiql (scripts/copy-graphiql.ts), so the published
 * package and the container image serve them without installing development dependencies and
 * without any CDN. From the sources in a checkout they come from node_modules.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageFile {
  /** The name it is served and copied under. */
  name: string;
  package: string;
  /** Its path inside the package. */
  path: string;
}

/** Served under /graphql/ide/<name>, in the order the page loads them. */
export const GRAPHIQL_FILES: readonly PackageFile[] = [
  { name: 'graphiql.min.css', package: 'graphiql', path: 'graphiql.min.css' },
  { name: 'react.production.min.js', package: 'react', path: 'umd/react.production.min.js' },
  { name: 'react-dom.production.min.js', package: 'react-dom', path: 'umd/react-dom.production.min.js' },
  { name: 'graphiql.min.js', package: 'graphiql', path: 'graphiql.min.js' },
];

/** Copied beside them (MIT: the notice goes with the copies). */
export const GRAPHIQL_LICENSES: readonly PackageFile[] = ['graphiql', 'react', 'react-dom'].map((pkg) => ({ name: `LICENSE.${pkg}`, package: pkg, path: 'LICENSE' }));

/** dist/assets/graphiql as seen from this module once compiled (dist/src/http/). */
export const BUILT_ASSETS = fileURLToPath(new URL('../../assets/graphiql/', import.meta.url));

const require = createRequire(import.meta.url);

/** A file of an installed package, or undefined when the package is not installed. */
export function packageFile(file: PackageFile): string | undefined {
  try {
    return join(dirname(require.resolve(`${file.package}/package.json`)), file.path);
  } catch {
    return undefined;
  }
}

/**
 * The IDE's files by served name: the build's copies when present, else the installed packages';
 * undefined when either lacks one of them (an install without development dependencies and
 * without the build's copies).
 */
export function locateGraphiql(): Map<string, string> | undefined {
  const sources: ((f: PackageFile) => string | undefined)[] = [(f) => join(BUILT_ASSETS, f.name), packageFile];
  for (const source of sources) {
    const found = GRAPHIQL_FILES.map((f) => [f.name, source(f)] as const);
    if (found.every(([, path]) => path !== undefined && existsSync(path))) return new Map(found as [string, string][]);
  }
  return undefined;
}
