import { Migration } from '@mikro-orm/migrations';

export class Migration20261203101217_failure_events extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "failure_events" ("id" bigserial primary key, "key" varchar(255) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "pending" boolean not null);`);
    this.addSql(`create index "failure_events_expires_at_index" on "failure_events" ("expires_at");`);
    this.addSql(`create index "failure_events_key_expires_at_index" on "failure_events" ("key", "expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "failure_events" cascade;`);
  }

}
