import { Migration } from '@mikro-orm/migrations';

export class Migration20261204160721_pushed_authorization_requests extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "pushed_authorization_requests" ("uri_hash" varchar(64) not null, "client_id" varchar(128) not null, "params" jsonb not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "pushed_authorization_requests_pkey" primary key ("uri_hash"));`);
    this.addSql(`create index "pushed_authorization_requests_expires_at_index" on "pushed_authorization_requests" ("expires_at");`);

    this.addSql(`alter table "pushed_authorization_requests" add constraint "pushed_authorization_requests_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "clients" add column "require_par" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pushed_authorization_requests" cascade;`);

    this.addSql(`alter table "clients" drop column "require_par";`);
  }

}
