import { Migration } from '@mikro-orm/migrations';

export class Migration20261204182636_dpop extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "dpop_proofs" ("key" varchar(320) not null, "expires_at" timestamptz not null, constraint "dpop_proofs_pkey" primary key ("key"));`);
    this.addSql(`create index "dpop_proofs_expires_at_index" on "dpop_proofs" ("expires_at");`);

    this.addSql(`alter table "clients" add column "require_dpop" boolean not null default false;`);

    this.addSql(`alter table "refresh_tokens" add column "dpop_jkt" varchar(43) null;`);

    this.addSql(`alter table "authorization_codes" add column "dpop_jkt" varchar(43) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dpop_proofs" cascade;`);

    this.addSql(`alter table "authorization_codes" drop column "dpop_jkt";`);

    this.addSql(`alter table "clients" drop column "require_dpop";`);

    this.addSql(`alter table "refresh_tokens" drop column "dpop_jkt";`);
  }

}
