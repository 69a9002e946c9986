import { Migration } from '@mikro-orm/migrations';

export class Migration20261204182624_client_secret_jwt extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "clients" add column "sealed_secret" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clients" drop column "sealed_secret";`);
  }

}
