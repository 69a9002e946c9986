/** `npm run schema:emit`: writes the GraphQL SDL to schema/schema.graphql (committed). */
import { writeFile } from 'node:fs/promises';
import { printedSchema } from '../src/graphql/schema.js';

await writeFile(new URL('../schema/schema.graphql', import.meta.url), await printedSchema());
console.log('wrote schema/schema.graphql');
