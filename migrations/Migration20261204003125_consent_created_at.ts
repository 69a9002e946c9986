import { Migration } from '@mikro-orm/migrations';

export class Migration20261204003125_consent_created_at extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "consents" add column "created_at" timestamptz not null default now();`);
    // Consents given before this column: their last change is the earliest date on record.
    this.addSql(`update "consents" set "created_at" = "updated_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "consents" drop column "created_at";`);
  }

}
