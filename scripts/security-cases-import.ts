/**
 * Reads the security battery (a markdown file of attack rows grouped in sections A–I) and writes
 * docs/security-cases.json, the committed copy that docs/SECURITY.md and its drift test use:
 *
 *   node --import @swc-node/register/esm-register scripts/security-cases-import.ts BATTERY.md [--out FILE] [--fresh]
 *
 * For a new row, `summary` and `expected` are drafts (the first sentence, cut at 120 characters);
 * edit them by hand. When the output exists, its `summary`, `expected` and `notApplicable` are kept
 * for the rows it already has (`--fresh` drops them); the other fields follow the markdown.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SecurityCase } from './lib/security-doc.js';

const SUMMARY_MAX = 120;

/** The rows of the battery, in file order. */
function parseSecurityCases(markdown: string): SecurityCase[] {
  const cases: SecurityCase[] = [];
  let section: SecurityCase['section'] | undefined;
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^##\s+([A-Z])\.\s+(.+?)\s*$/.exec(line);
    if (heading) {
      section = { letter: heading[1]!, title: heading[2]! };
      continue;
    }
    if (/^##\s/.test(line)) section = undefined;
    const cells = tableCells(line);
    // | # | ID | Component | Malicious input / sequence | Expected correct behaviour | Source |
    if (!cells || cells.length !== 6 || !/^\d+$/.test(cells[0]!) || !/^[A-Z]{2}-\d+$/.test(cells[1]!)) continue;
    if (!section) throw new Error(`row ${cells[1]} is outside a lettered section`);
    const [, id, component, input, expected, source] = cells as [string, string, string, string, string, string];
    cases.push({ id, section, component, summary: firstSentence(input, SUMMARY_MAX), expected: firstSentence(expected, SUMMARY_MAX), source });
  }
  const ids = cases.map((c) => c.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length) throw new Error(`duplicate row IDs: ${twice.join(', ')}`);
  return cases;
}

/** The cells of a markdown table row (`\|` is a literal bar); undefined for other lines. */
function tableCells(line: string): string[] | undefined {
  if (!line.startsWith('|') || !line.trimEnd().endsWith('|')) return undefined;
  const cells: string[] = [];
  let cell = '';
  const body = line.trim().slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (body[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += body[i];
    }
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * The first sentence of a cell (up to a period or semicolon outside code spans that ends a
 * sentence), without bold markers, cut at a word boundary to at most `max` characters, never
 * inside a code span.
 */
function firstSentence(text: string, max: number): string {
  const plain = text.replace(/\*\*/g, '');
  let end = plain.length;
  let inCode = false;
  for (let i = 0; i < plain.length; i++) {
    if (plain[i] === '`') inCode = !inCode;
    else if (!inCode && /[.;]/.test(plain[i]!) && (i + 1 === plain.length || plain[i + 1] === ' ') && !/\b(e\.g|i\.e|etc)$/.test(plain.slice(0, i))) {
      end = i;
      break;
    }
  }
  const sentence = plain.slice(0, end).trim();
  return sentence.length <= max ? sentence : truncate(sentence, max);
}

function truncate(text: string, max: number): string {
  let cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  if (space > max / 2) cut = cut.slice(0, space);
  // An odd number of backticks means a code span was cut open: end before it.
  if ((cut.match(/`/g) ?? []).length % 2 === 1) cut = cut.slice(0, cut.lastIndexOf('`'));
  return `${cut.replace(/[\s,;:(—-]+$/, '')}…`;
}

/** Keeps the hand-written fields of rows that `previous` already has. */
function mergeHandEdits(parsed: SecurityCase[], previous: SecurityCase[]): SecurityCase[] {
  const known = new Map(previous.map((c) => [c.id, c]));
  return parsed.map((c) => {
    const old = known.get(c.id);
    if (!old) return c;
    const merged: SecurityCase = { ...c, summary: old.summary, expected: old.expected };
    if (old.notApplicable !== undefined) merged.notApplicable = old.notApplicable;
    return merged;
  });
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const fresh = args.includes('--fresh');
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : fileURLToPath(new URL('../docs/security-cases.json', import.meta.url));
  const input = args.find((a, i) => !a.startsWith('--') && (outIndex < 0 || i !== outIndex + 1));
  if (!input) {
    console.error('usage: security-cases-import.ts BATTERY.md [--out docs/security-cases.json] [--fresh]');
    process.exit(2);
  }
  const parsed = parseSecurityCases(await readFile(input, 'utf8'));
  const previous: SecurityCase[] = !fresh && existsSync(out) ? JSON.parse(await readFile(out, 'utf8')) : [];
  const cases = mergeHandEdits(parsed, previous);
  const added = parsed.filter((c) => !previous.some((p) => p.id === c.id)).map((c) => c.id);
  const removed = previous.filter((p) => !parsed.some((c) => c.id === p.id)).map((p) => p.id);
  await writeFile(out, `${JSON.stringify(cases, null, 2)}\n`);
  console.log(`wrote ${cases.length} rows to ${out}`);
  if (previous.length && added.length) console.log(`new rows (review their summary and expected): ${added.join(', ')}`);
  if (removed.length) console.log(`rows no longer in the battery: ${removed.join(', ')}`);
}

await main(process.argv.slice(2));
