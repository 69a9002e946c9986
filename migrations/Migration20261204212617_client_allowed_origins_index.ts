import { Migration } from '@mikro-orm/migrations';

export class Migration20261204212617_client_allowed_origins_index extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "clients_allowed_origins_index" on "clients" using gin ("allowed_origins");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "clients_allowed_origins_index";`);
  }

}
