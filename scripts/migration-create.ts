/**
 * `npm run migration:create -- [name]`: applies the committed migrations to a scratch database,
 * then writes a new migration for whatever the entities add (nothing when they match).
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { createScratchDatabase } from '../src/db/scratch.js';
import { ormConfig, MIGRATIONS_DIR } from '../src/db/orm-config.js';
import { devDatabaseServer } from './dev-database.js';

const name = process.argv[2]?.replace(/[^A-Za-z0-9_]/g, '_');
const server = await devDatabaseServer();
const scratch = await createScratchDatabase(server.adminUrl, 'jwt_oidc_migration');
try {
  const orm = await MikroORM.init(ormConfig({ clientUrl: scratch.url }));
  try {
    await orm.getMigrator().up();
    const result = await orm.getMigrator().createMigration(MIGRATIONS_DIR, false, false, name);
    console.log(result.fileName ? `created migrations/${result.fileName}` : 'no changes: the entities match the migrations');
  } finally {
    await orm.close(true);
  }
} finally {
  await scratch.drop();
  await server.release();
}
