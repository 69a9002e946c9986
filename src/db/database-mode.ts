/**
 * A database belongs to the mode that first opened it, as a data directory does
 * (src/config/data-dir.ts): the fake mode signs anyone in as any subject, and a client-mode
 * login may create users, so neither may ever run on the database of a provider (nor the
 * provider on theirs). Checked at every open, by the service and by the CLI.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Mode } from '../config/definitions.js';

export class DatabaseModeError extends Error {
  readonly code = 'ERR_DATABASE_MODE';
}

/** Marks the database as `mode`'s (first open), or throws when another mode owns it. */
export async function claimDatabaseMode(orm: MikroORM, mode: Mode): Promise<void> {
  // One statement that writes the row if there is none and returns the owner either way: of
  // instances of different modes opening a new database together, one wins.
  const [row] = await orm.em
    .getConnection()
    .execute<{ mode: string }[]>('insert into database_owner (id, mode) values (1, ?) on conflict (id) do update set mode = database_owner.mode returning mode', [mode]);
  if (row?.mode !== mode) {
    throw new DatabaseModeError(
      `DATABASE_URL: this database belongs to the ${row?.mode} mode; the ${mode} mode needs a database of its own ` +
        `(or leave DATABASE_URL unset: each mode then runs its own embedded PostgreSQL in its data directory).`,
    );
  }
}
