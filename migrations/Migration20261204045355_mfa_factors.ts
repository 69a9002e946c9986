import { Migration } from '@mikro-orm/migrations';

export class Migration20261204045355_mfa_factors extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "recovery_codes" ("digest" varchar(64) not null, "user_id" varchar(255) not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "recovery_codes_pkey" primary key ("digest"));`);
    this.addSql(`create index "recovery_codes_user_id_index" on "recovery_codes" ("user_id");`);

    this.addSql(`create table "user_factors" ("id" uuid not null, "user_id" varchar(255) not null, "kind" varchar(16) not null, "name" varchar(100) not null, "created_at" timestamptz not null, "confirmed_at" timestamptz null, "last_used_at" timestamptz null, "secret" text null, "totp_last_step" bigint null, constraint "user_factors_pkey" primary key ("id"));`);
    this.addSql(`create index "user_factors_user_id_kind_index" on "user_factors" ("user_id", "kind");`);

    this.addSql(`alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "user_factors" add constraint "user_factors_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "recovery_codes" cascade;`);

    this.addSql(`drop table if exists "user_factors" cascade;`);
  }

}
