/**
 * Comments and documents cite what a reader can open: RFC and specification sections, the
 * repository's own docs (README sections, docs/ARCHITECTURE.md) and the rows of docs/SECURITY.md.
 * Nothing may point at documents outside the repository, and every cited row must exist.
 *
 * The forbidden patterns are built from pieces, so that this file does not name them itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases, ROOT } from '../../scripts/lib/security-doc.js';

const TEXT = /\.(?:[cm]?[jt]s|tsx|json|md|graphql|ya?ml|sh|txt)$/;
const SKIP = new Set(['node_modules', 'dist']);

/** Every text file under the given directories of the repository, relative, with `/`. */
function textFiles(...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (TEXT.test(entry.name)) found.push(relative(ROOT, full).split(sep).join('/'));
    }
  };
  for (const dir of dirs) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return found;
}

const packages = readdirSync(join(ROOT, 'packages')).filter((p) => statSync(join(ROOT, 'packages', p)).isDirectory());
const topLevel = readdirSync(ROOT).filter((f) => /\.(?:[cm]?ts|md)$/.test(f) && statSync(join(ROOT, f)).isFile());
const FILES = [
  ...textFiles('src', ...packages.map((p) => `packages/${p}/src`), 'scripts', 'bench', 'test', 'docs'),
  ...packages.map((p) => `packages/${p}/README.md`).filter((f) => existsSync(join(ROOT, f))),
  ...topLevel,
].sort();
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** References to documents that are not part of the repository. */
const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'a design document section', pattern: new RegExp(['DES', 'IGN', ' §'].join('')) },
  { name: 'the stack notes', pattern: new RegExp(['STA', 'CK\\.md'].join('')) },
  { name: 'a trap of the stack notes', pattern: new RegExp(['\\btr', 'ap \\d+\\b'].join('')) },
  { name: 'the security-case battery (cite docs/SECURITY.md)', pattern: new RegExp(['SECURITY', '-CASES'].join('')) },
  { name: 'a directory outside the repository', pattern: new RegExp(['\\.\\./sha', 'red\\b'].join('')) },
];

/** Line breaks inside a comment, with their `*` or `//`, read as one space. */
const unwrap = (text: string) => text.replace(/\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');

const ROW = '[A-Z]{2,3}-\\d{2}';
const DOC = 'docs/SECURITY\\.md';
/** `docs/SECURITY.md AZ-01`, `… SE-04, TK-13`, `… UI-01…UI-05`, `… TK-01 … TK-22`. */
const ROW_CITATION = new RegExp(`${DOC} (${ROW}(?:(?:\\s*[,…–]\\s*|\\s+(?:and|or|to)\\s+|\\s+)${ROW})*)`, 'g');
/** `docs/SECURITY.md section H`, `… sections G and H`. */
const SECTION_CITATION = new RegExp(`${DOC} sections? ([A-Z](?:(?:, | and )[A-Z])*)\\b`, 'g');

const cases = loadCases();
const rowIds = new Set(cases.map((c) => c.id));
const sections = new Set(cases.map((c) => c.section.letter));

describe('citations', () => {
  it('scans the sources, tests, scripts, docs and READMEs', () => {
    for (const file of ['README.md', 'docs/SECURITY.md', 'docs/security-cases.json', 'src/app.ts', 'test/unit/citations.test.ts']) expect(FILES).toContain(file);
    expect(FILES.some((f) => f.startsWith('packages/') && f.includes('/src/'))).toBe(true);
  });

  it('name no document outside the repository', () => {
    const found: string[] = [];
    for (const file of FILES) {
      read(file).split('\n').forEach((line, i) => {
        for (const { name, pattern } of FORBIDDEN) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${name}: ${line.trim()}`);
      });
    }
    expect(found, 'cite an RFC section, a README section or a docs/SECURITY.md row instead, or say it in plain words').toEqual([]);
  });

  it('cite only rows and sections of docs/SECURITY.md that exist in docs/security-cases.json', () => {
    const unknown: string[] = [];
    for (const file of FILES) {
      const text = unwrap(read(file));
      for (const [, run] of text.matchAll(ROW_CITATION)) {
        for (const id of run!.match(new RegExp(ROW, 'g'))!) if (!rowIds.has(id)) unknown.push(`${file}: ${id}`);
      }
      for (const [, letters] of text.matchAll(SECTION_CITATION)) {
        for (const letter of letters!.match(/[A-Z]/g)!) if (!sections.has(letter)) unknown.push(`${file}: section ${letter}`);
      }
    }
    expect(unknown, 'no such row in docs/security-cases.json').toEqual([]);
  });

  it('reads row citations across comment lines, in lists and ranges', () => {
    const [a, b, c] = cases.map((x) => x.id);
    const text = unwrap(`/** x (${'docs/SECURITY.md'} ${a}, ${b}…${c}; RFC 1). y ${'docs/SECURITY.md'}\n * ${a}). */`);
    const runs = [...text.matchAll(ROW_CITATION)].map((m) => m[1]);
    expect(runs).toEqual([`${a}, ${b}…${c}`, a]);
  });
});

describe('docs/ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const doc = read('docs/ARCHITECTURE.md');
    const paths = [...doc.matchAll(/`((?:src|packages|test|scripts|docs|migrations|schema|bench)\/[\w./*-]*)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((p) => !p.includes('*') && !existsSync(join(ROOT, p)));
    expect(missing, 'docs/ARCHITECTURE.md names paths that do not exist').toEqual([]);
  });

  it('is linked from the README', () => {
    expect(read('README.md')).toContain('(docs/ARCHITECTURE.md)');
  });
});
