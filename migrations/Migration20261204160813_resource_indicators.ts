import { Migration } from '@mikro-orm/migrations';

export class Migration20261204160813_resource_indicators extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "resources" ("id" varchar(2048) not null, "scopes" jsonb not null, "access_token_lifetime" int null, "alg" varchar(16) null, "created_at" timestamptz not null default now(), constraint "resources_pkey" primary key ("id"));`);

    this.addSql(`alter table "grants" add column "resources" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "resources" cascade;`);

    this.addSql(`alter table "grants" drop column "resources";`);
  }

}
