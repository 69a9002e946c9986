import { Migration } from '@mikro-orm/migrations';

export class Migration20261204152949_client_require_mfa extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "clients" add column "require_mfa" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clients" drop column "require_mfa";`);
  }

}
