import { Migration } from '@mikro-orm/migrations';

export class Migration20261204050814_interaction_first_factor extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "interactions" add column "first_factor" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "interactions" drop column "first_factor";`);
  }

}
