import { Migration } from '@mikro-orm/migrations';

export class Migration20261128130719_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "users" ("id" uuid not null, "username" varchar(150) not null, "email" varchar(320) null, "email_verified" boolean not null default false, "given_name" varchar(255) null, "family_name" varchar(255) null, "locale" varchar(35) null, "picture" varchar(2048) null, "active" boolean not null default true, "admin" boolean not null default false, "password_hash" varchar(255) null, "attributes" jsonb not null default '{}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_username_unique" unique ("username");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "users" cascade;`);
  }

}
