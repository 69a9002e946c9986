import { Migration } from '@mikro-orm/migrations';

/**
 * Invitations (docs/ACCOUNTS.md "Invitations"): an invitation's token names no user yet (its
 * address is in `data`), so `user_id` may be null. Down removes the invitations first.
 */
export class Migration20261204040602_invitations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "account_tokens" alter column "user_id" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "account_tokens" where "user_id" is null;`);
    this.addSql(`alter table "account_tokens" alter column "user_id" set not null;`);
  }

}
