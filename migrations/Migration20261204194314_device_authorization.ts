import { Migration } from '@mikro-orm/migrations';

export class Migration20261204194314_device_authorization extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "device_requests" ("device_hash" varchar(64) not null, "user_code" varchar(8) not null, "client_id" varchar(128) not null, "scope" text not null, "resources" jsonb null, "status" varchar(16) not null default 'pending', "user_id" uuid null, "grant_id" uuid null, "code_hash" varchar(64) null, "poll_interval" int not null, "last_poll_at" timestamptz null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "device_requests_pkey" primary key ("device_hash"));`);
    this.addSql(`alter table "device_requests" add constraint "device_requests_user_code_unique" unique ("user_code");`);
    this.addSql(`create index "device_requests_expires_at_index" on "device_requests" ("expires_at");`);

    this.addSql(`alter table "device_requests" add constraint "device_requests_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "device_requests" cascade;`);
  }

}
