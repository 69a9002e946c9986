import { Migration } from '@mikro-orm/migrations';

export class Migration20261203165800_database_owner extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "database_owner" ("id" smallint not null, "mode" varchar(16) not null, "claimed_at" timestamptz not null default now(), constraint "database_owner_pkey" primary key ("id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "database_owner" cascade;`);
  }

}
