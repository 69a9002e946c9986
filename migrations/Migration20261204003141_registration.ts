import { Migration } from '@mikro-orm/migrations';

/**
 * Self-registration (docs/ACCOUNTS.md "Registration"): a self-registered account waits for its
 * email address to be confirmed before its password signs in. Every existing account is false:
 * administrators and the CLI create accounts that sign in at once, as before.
 */
export class Migration20261204003141_registration extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "pending_verification" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop column "pending_verification";`);
  }

}
