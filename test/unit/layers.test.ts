/**
 * The layers of docs/ARCHITECTURE.md, enforced: the protocol core imports no web framework, no
 * GraphQL and no pages, and no module of src/ takes part in an import circle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const CORE = ['src/provider', 'src/keys', 'src/clients', 'src/users', 'packages/resource/src'];
/** What the core must not import: frameworks, GraphQL, and the edges and modes above it. */
const FORBIDDEN = [/^express$/, /^graphql$/, /^type-graphql$/, /^@apollo\//, /^@as-integrations\//, /\/interaction\//, /\/http\//, /\/graphql\//, /\/fake\//, /\/client\//, /\/cli\//];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports, as written (`import type` included: it is still an arrow). */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => (m[1] ?? m[2])!);
}

describe('layers', () => {
  it('the protocol core imports no Express, GraphQL, pages, edges or modes', () => {
    const found: string[] = [];
    for (const dir of CORE) {
      for (const file of files(join(ROOT, dir))) {
        for (const spec of importsOf(file)) {
          const target = spec.startsWith('.') ? `/${relative(ROOT, resolve(dirname(file), spec))}` : spec;
          if (FORBIDDEN.some((f) => f.test(target))) found.push(`${relative(ROOT, file)} → ${spec}`);
        }
      }
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
