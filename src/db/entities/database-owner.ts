import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Which mode a database belongs to: one row, written by the first mode that opens it
 * (src/db/database-mode.ts). A fake-mode sign-in makes a user of any subject, and a client-mode
 * login may create users: neither may ever run on a provider's database.
 */
@Entity({ tableName: 'database_owner' })
export class DatabaseOwner {
  [OptionalProps]?: 'claimedAt';

  /** Always 1: the table holds one row. */
  @PrimaryKey({ type: 'smallint', autoincrement: false })
  id!: number;

  @Property({ type: 'string', length: 16 })
  mode!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  claimedAt: Date = new Date();
}
