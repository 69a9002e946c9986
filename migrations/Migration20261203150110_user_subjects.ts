import { Migration } from '@mikro-orm/migrations';

/**
 * A user's id is its subject (`sub`, OIDC Core §2): still a random UUID for the accounts the
 * service creates, any string of up to 255 characters for the fake mode's sign-in. The foreign
 * keys are dropped while the types change together, then put back as they were.
 */
export class Migration20261203150110_user_subjects extends Migration {
  override async up(): Promise<void> {
    for (const table of REFERENCING) this.addSql(`alter table "${table}" drop constraint "${table}_user_id_foreign";`);
    this.addSql(`alter table "users" alter column "id" type varchar(255) using ("id"::varchar(255));`);
    for (const table of REFERENCING) {
      this.addSql(`alter table "${table}" alter column "user_id" type varchar(255) using ("user_id"::varchar(255));`);
      this.addSql(`alter table "${table}" add constraint "${table}_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    }
  }

  override async down(): Promise<void> {
    // Only possible while every id is a UUID (no fake-mode subjects in the table).
    for (const table of REFERENCING) this.addSql(`alter table "${table}" drop constraint "${table}_user_id_foreign";`);
    this.addSql(`alter table "users" alter column "id" type uuid using ("id"::uuid);`);
    for (const table of REFERENCING) {
      this.addSql(`alter table "${table}" alter column "user_id" type uuid using ("user_id"::uuid);`);
      this.addSql(`alter table "${table}" add constraint "${table}_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    }
  }
}

const REFERENCING = ['sessions', 'interactions', 'grants', 'consents'] as const;
