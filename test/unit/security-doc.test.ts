/**
 * docs/SECURITY.md is generated from docs/security-cases.json and the tests that name its rows:
 * it must be current, every row that applies must have a test, and a test must not name a row
 * that does not exist (a typo such as AZ-1 would otherwise cover nothing, silently).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASES_PATH, coverage, DOC_PATH, loadCases, renderSecurityDoc, scanTestSource, scanTests, unknownRowIds } from '../../scripts/lib/security-doc.js';

const cases = loadCases();
const files = scanTests();

describe('docs/SECURITY.md', () => {
  it('is generated from docs/security-cases.json and the tests (npm run docs:security)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(renderSecurityDoc(cases, files), 'docs/SECURITY.md is stale: run npm run docs:security').toBe(doc);
  });

  it('names at least one test for every row that applies', () => {
    const covered = coverage(cases, files);
    const untested = cases.filter((c) => !c.notApplicable && covered.get(c.id)!.length === 0).map((c) => c.id);
    expect(untested, 'rows without a test: write one whose title names the row, or mark the row notApplicable').toEqual([]);
  });

  it('has no test naming a row ID that is not in docs/security-cases.json', () => {
    expect(unknownRowIds(cases, files), 'tests name unknown row IDs (a typo?)').toEqual([]);
  });
});

describe('docs/security-cases.json', () => {
  it('has one well-formed entry per row', () => {
    const raw = JSON.parse(readFileSync(CASES_PATH, 'utf8')) as unknown[];
    const ids = cases.map((c) => c.id);
    expect(new Set(ids).size, 'duplicate IDs').toBe(ids.length);
    for (const c of cases) {
      expect(c.id).toMatch(/^[A-Z]{2,3}-\d{2}$/);
      // A … Z, then AA, AB … as sections keep coming.
      expect(c.section.letter, c.id).toMatch(/^[A-Z]{1,2}$/);
      for (const field of ['component', 'summary', 'expected', 'source'] as const) expect(c[field].trim(), `${c.id}.${field}`).not.toBe('');
      expect(c.summary.length, `${c.id}.summary is at most 120 characters`).toBeLessThanOrEqual(120);
      if (c.notApplicable !== undefined) expect(c.notApplicable.trim(), `${c.id}.notApplicable`).not.toBe('');
    }
    expect(raw.length).toBe(cases.length);
  });
});

describe('reading test titles', () => {
  // Row-like IDs here use a prefix of no row, or are built at run time: this file is scanned too.
  it('reads literal, template, concatenated and .each titles, and ignores comments and regular expressions', () => {
    const { titles, strings } = scanTestSource(`
      // it('XX-98 a comment is not a test');
      /* test('XX-97 nor is this') */
      const re = /it\\('XX-96'\\)/;
      describe('XX-01 group', () => {
        it('XX-01 it\\'s literal', () => {});
        it(\`XX-02 \${uri} against \${'x'}\`, async () => {});
        it.each(['a', 'b'])('XX-03 %s', (v) => {});
        test.skipIf(process.env.CI)('XX-04 " quoted', () => {});
        it('XX-05 ' + name + ' joined', () => {});
        it(name, () => {});
        if (/x/.test('y')) expect(1).toBe(1);
      });
      for (const row of [{ id: 'XX-06' }]) it(\`\${row.id} built at run time\`, () => {});
    `);
    expect(titles.map((t) => `${t.kind}: ${t.title}`)).toEqual([
      'describe: XX-01 group',
      "it: XX-01 it's literal",
      "it: XX-02 {uri} against {'x'}",
      'it: XX-03 %s',
      'test: XX-04 " quoted',
      'it: XX-05 {name} joined',
      'it: {row.id} built at run time',
    ]);
    expect(strings).toContain('XX-06');
    expect(strings.join(' ')).not.toMatch(/XX-9[678]/);
  });

  it('counts a row named only in a string as covered by the file, and catches a mistyped ID', () => {
    const row = cases[0]!;
    const typo = row.id.replace(/-0?(\d+)$/, (_m, n: string) => `-${Number(n) + 1000}`);
    const scanned = [{ path: 'test/x.test.ts', ...scanTestSource(`for (const id of ['${row.id}', '${typo}']) it(\`\${id} case\`, () => {});`) }];
    expect(coverage([row], scanned).get(row.id)).toEqual([{ file: 'test/x.test.ts', titles: [] }]);
    expect(unknownRowIds([row], scanned)).toEqual([{ id: typo, file: 'test/x.test.ts' }]);
  });
});
