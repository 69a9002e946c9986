/**
 * The layers of docs/ARCHITECTURE.md, enforced: the protocol core and the infrastructure import
 * no web framework, no GraphQL and no pages; the client registry nothing of the provider; the
 * GraphQL edge neither Express nor the HTTP edge and the modes; and no module of src/ takes part
 * in an import circle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const CORE = ['src/provider', 'src/keys', 'src/clients', 'src/users', 'packages/resource/src'];
const INFRASTRUCTURE = ['src/config', 'src/db', 'src/util', 'src/mail', 'src/clock.ts', 'src/log.ts', 'src/audit.ts'];
/** Express and openid-client: the index of @jwt-oidc/express loads both. */
const EXPRESS = [/^express$/, /^@jwt-oidc\/express$/, /^openid-client$/];
/** What the core and the infrastructure must not import: frameworks, GraphQL, and the edges and modes above them. */
const FORBIDDEN = [...EXPRESS, /^graphql$/, /^type-graphql$/, /^@apollo\//, /^@as-integrations\//, /\/interaction\//, /\/http\//, /\/graphql\//, /\/fake\//, /\/client\//, /\/cli\//];

/** The .ts files of a folder, or the file itself. */
function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    return statSync(child).isDirectory() ? files(child) : child.endsWith('.ts') ? [child] : [];
  });
}

/** Every module a file imports or re-exports, as written (`import type` included: it is still an arrow). */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => (m[1] ?? m[2])!);
}

/** The imports of the files under `paths` that match one of `forbidden` (a package name, or `/src/…` for a module of the repository). */
function forbiddenImports(paths: string[], forbidden: RegExp[]): string[] {
  const found: string[] = [];
  for (const path of paths) {
    for (const file of files(join(ROOT, path))) {
      for (const spec of importsOf(file)) {
        const target = spec.startsWith('.') ? `/${relative(ROOT, resolve(dirname(file), spec))}` : spec;
        if (forbidden.some((f) => f.test(target))) found.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
  }
  return found;
}

describe('layers', () => {
  it('the protocol core imports no Express, GraphQL, pages, edges or modes', () => {
    expect(forbiddenImports(CORE, FORBIDDEN)).toEqual([]);
  });

  it('the infrastructure (settings, database, helpers) imports no Express, openid-client, GraphQL, pages, edges or modes, nor the core', () => {
    expect(forbiddenImports(INFRASTRUCTURE, [...FORBIDDEN, /\/provider\//, /\/keys\//, /\/clients\//, /\/users\//])).toEqual([]);
  });

  it('the client registry imports nothing of the provider, which builds on it', () => {
    expect(forbiddenImports(['src/clients'], [/\/src\/provider\//])).toEqual([]);
  });

  it('the GraphQL edge imports no Express, HTTP edge or mode: src/app.ts hands it the request as data', () => {
    expect(forbiddenImports(['src/graphql'], [...EXPRESS, /\/http\//, /\/interaction\//, /\/client\//, /\/fake\//, /\/cli\//])).toEqual([]);
  });

  it('the subpaths of @jwt-oidc/express (what settings may import) load neither Express nor openid-client', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/express/package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    const subpaths = Object.entries(pkg.exports).filter(([name, target]) => name !== '.' && typeof target === 'object');
    expect(subpaths.map(([name]) => name)).toContain('./user-mapping');
    const found: string[] = [];
    for (const [name, target] of subpaths) {
      // The module and everything it imports in turn.
      const seen = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
          else if (EXPRESS.some((f) => f.test(spec))) found.push(`${name}: ${relative(ROOT, file)} → ${spec}`);
        }
      };
      visit(join(ROOT, 'packages/express', (target as Record<string, string>)['jwt-oidc-source']!));
    }
    expect(found).toEqual([]);
  });

  it('no import circle among the modules of src/', () => {
    const graph = new Map<string, string[]>();
    for (const file of files(join(ROOT, 'src'))) {
      const deps = importsOf(file)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
      graph.set(file, deps);
    }
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, 'open');
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(ROOT, f)).join(' → '));
        else if (!state.has(next) && graph.has(next)) visit(next);
      }
      stack.pop();
      state.set(node, 'done');
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    expect(circles).toEqual([]);
  });
});
