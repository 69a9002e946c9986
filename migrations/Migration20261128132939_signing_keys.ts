import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132939_signing_keys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "signing_keys" ("kid" varchar(64) not null, "family" varchar(16) not null, "alg" varchar(8) not null, "public_jwk" jsonb not null, "private_key" text not null, "created_at" timestamptz not null, "activates_at" timestamptz not null, "retires_at" timestamptz null, "deletes_at" timestamptz null, constraint "signing_keys_pkey" primary key ("kid"));`);
    this.addSql(`create index "signing_keys_family_index" on "signing_keys" ("family");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signing_keys" cascade;`);
  }

}
