import { Migration } from '@mikro-orm/migrations';

export class Migration20261204194722_token_exchange_policy extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "clients" add column "token_exchange" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clients" drop column "token_exchange";`);
  }

}
