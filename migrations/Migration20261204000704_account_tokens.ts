import { Migration } from '@mikro-orm/migrations';

export class Migration20261204000704_account_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "account_tokens" ("digest" varchar(64) not null, "kind" varchar(32) not null, "user_id" varchar(255) not null, "data" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "account_tokens_pkey" primary key ("digest"));`);
    this.addSql(`create index "account_tokens_expires_at_index" on "account_tokens" ("expires_at");`);
    this.addSql(`create index "account_tokens_user_id_kind_index" on "account_tokens" ("user_id", "kind");`);

    this.addSql(`alter table "account_tokens" add constraint "account_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_tokens" cascade;`);
  }

}
