import { Migration } from '@mikro-orm/migrations';

export class Migration20261203124552_client_uri extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "clients" add column "client_uri" varchar(2048) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clients" drop column "client_uri";`);
  }

}
