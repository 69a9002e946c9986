/** `npm run docs:settings`: regenerates the settings table in README.md from the schema. */
import { readFile, writeFile } from 'node:fs/promises';
import { renderSettingsIntoReadme } from '../src/config/docs.js';

const path = new URL('../README.md', import.meta.url);
await writeFile(path, renderSettingsIntoReadme(await readFile(path, 'utf8')));
console.log('updated the settings table in README.md');
