/**
 * The committed `migrations/` and `schema/schema.graphql` must match the code: a fresh database
 * migrated from scratch equals what the entities describe, and the resolvers print the committed
 * SDL, from which the admin console's typed documents (console/src/gql) are generated. Fix a
 * failure with `npm run migration:create`, `npm run schema:emit` or `npm run console:codegen`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, ormConfig } from '../../src/db/orm-config.js';
import { graphqlSchema, printedSchema } from '../../src/graphql/schema.js';
import { testDatabase } from '../support/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('drift', () => {
  let orm: MikroORM;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await testDatabase();
    drop = db.drop;
    orm = await MikroORM.init(ormConfig({ clientUrl: db.url }));
  });
  afterAll(async () => {
    await orm?.close(true);
    await drop?.();
  });

  it('applies every committed migration to an empty database, leaving the entities nothing to add', async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^Migration\d+.*\.ts$/.test(f));
    const applied = await orm.getMigrator().up();
    expect(applied.map((m) => `${m.name}.ts`).sort()).toEqual(files.sort());
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim(), 'entities changed without a migration: run npm run migration:create').toBe('');
  });

  it('rolls every migration back down and up again', async () => {
    await orm.getMigrator().down({ to: 0 });
    const { rows } = await orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations'`).then((r) => ({ rows: r }));
    expect(rows[0]!.n).toBe(0);
    await orm.getMigrator().up();
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
  });

  it('describes every type, field, argument, input field and enum value of the GraphQL schema', async () => {
    const { isObjectType, isInputObjectType, isEnumType, isInterfaceType } = await import('graphql');
    const schema = await graphqlSchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('has the committed GraphQL SDL', async () => {
    const committed = await readFile(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(await printedSchema(), 'resolvers changed: run npm run schema:emit').toBe(committed);
  });

  it('has the admin console\'s typed documents generated from the committed schema and its queries', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const { default: config } = await import('../../console/codegen.js');
    // Generated in memory (not written), compared with the committed files.
    const outputs = (await generate({ ...config, cwd: ROOT }, false)) as { filename: string; content: string }[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const { filename, content } of outputs) {
      const committed = await readFile(join(ROOT, filename), 'utf8').catch(() => '(missing)');
      expect(committed, `${filename} is out of date: run npm run console:codegen`).toBe(content);
    }
  });
});
