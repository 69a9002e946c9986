import { Migration } from '@mikro-orm/migrations';

export class Migration20261128145837_logout_revocation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "revoked_tokens" ("jti" varchar(64) not null, "expires_at" timestamptz not null, constraint "revoked_tokens_pkey" primary key ("jti"));`);
    this.addSql(`create index "revoked_tokens_expires_at_index" on "revoked_tokens" ("expires_at");`);

    this.addSql(`alter table "clients" add column "backchannel_logout_uri" varchar(2048) null;`);

    this.addSql(`alter table "interactions" add column "login" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "revoked_tokens" cascade;`);

    this.addSql(`alter table "clients" drop column "backchannel_logout_uri";`);

    this.addSql(`alter table "interactions" drop column "login";`);
  }

}
