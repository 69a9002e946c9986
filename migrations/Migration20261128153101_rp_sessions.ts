import { Migration } from '@mikro-orm/migrations';

export class Migration20261128153101_rp_sessions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "jwt_oidc_rp_sessions" ("id_hash" varchar(64) not null, "data" jsonb not null, "expires_at" timestamptz not null, constraint "jwt_oidc_rp_sessions_pkey" primary key ("id_hash"));`);
    this.addSql(`create index "jwt_oidc_rp_sessions_expires_at_index" on "jwt_oidc_rp_sessions" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "jwt_oidc_rp_sessions" cascade;`);
  }

}
