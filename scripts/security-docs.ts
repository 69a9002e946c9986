/** `npm run docs:security`: regenerates docs/SECURITY.md from docs/security-cases.json and the tests. */
import { writeFile } from 'node:fs/promises';
import { coverage, DOC_PATH, loadCases, renderSecurityDoc, scanTests } from './lib/security-doc.js';

const cases = loadCases();
const files = scanTests();
await writeFile(DOC_PATH, renderSecurityDoc(cases, files));
const covered = coverage(cases, files);
const untested = cases.filter((c) => !c.notApplicable && covered.get(c.id)!.length === 0).map((c) => c.id);
console.log(`updated docs/SECURITY.md (${cases.length} rows${untested.length ? `; no test yet: ${untested.join(', ')}` : ''})`);
