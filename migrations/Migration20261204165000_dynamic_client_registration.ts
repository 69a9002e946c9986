import { Migration } from '@mikro-orm/migrations';

export class Migration20261204165000_dynamic_client_registration extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "initial_access_tokens" ("token_hash" varchar(64) not null, "remaining_uses" int not null, "expires_at" timestamptz not null, "created_at" timestamptz not null default now(), constraint "initial_access_tokens_pkey" primary key ("token_hash"));`);

    this.addSql(`alter table "clients" add column "application_type" varchar(8) null, add column "registration_token_hash" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "initial_access_tokens" cascade;`);

    this.addSql(`alter table "clients" drop column "application_type", drop column "registration_token_hash";`);
  }

}
