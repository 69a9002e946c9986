import { Migration } from '@mikro-orm/migrations';

export class Migration20261204152943_passkeys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "interactions" add column "passkey_challenge" varchar(128) null, add column "passkey_challenge_at" timestamptz null;`);

    this.addSql(`alter table "user_factors" add column "challenge" varchar(128) null, add column "credential_id" text null, add column "credential_public_key" text null, add column "credential_counter" bigint null, add column "credential_transports" jsonb null, add column "credential_backed_up" boolean null, add column "credential_device_type" varchar(16) null, add column "user_handle" varchar(128) null;`);
    this.addSql(`alter table "user_factors" add constraint "user_factors_credential_id_unique" unique ("credential_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "interactions" drop column "passkey_challenge", drop column "passkey_challenge_at";`);

    this.addSql(`alter table "user_factors" drop constraint "user_factors_credential_id_unique";`);
    this.addSql(`alter table "user_factors" drop column "challenge", drop column "credential_id", drop column "credential_public_key", drop column "credential_counter", drop column "credential_transports", drop column "credential_backed_up", drop column "credential_device_type", drop column "user_handle";`);
  }

}
