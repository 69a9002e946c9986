import { Migration } from '@mikro-orm/migrations';

export class Migration20261204194650_grant_claims extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "grants" add column "claims" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "grants" drop column "claims";`);
  }

}
