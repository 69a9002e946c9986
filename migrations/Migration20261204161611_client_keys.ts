import { Migration } from '@mikro-orm/migrations';

export class Migration20261204161611_client_keys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "client_assertions" ("client_id" varchar(128) not null, "jti" varchar(255) not null, "expires_at" timestamptz not null, constraint "client_assertions_pkey" primary key ("client_id", "jti"));`);
    this.addSql(`create index "client_assertions_expires_at_index" on "client_assertions" ("expires_at");`);

    this.addSql(`alter table "clients" add column "token_endpoint_auth_method" varchar(32) null, add column "jwks" jsonb null, add column "jwks_uri" varchar(2048) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "client_assertions" cascade;`);

    this.addSql(`alter table "clients" drop column "token_endpoint_auth_method", drop column "jwks", drop column "jwks_uri";`);
  }

}
