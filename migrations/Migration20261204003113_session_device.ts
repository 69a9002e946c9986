import { Migration } from '@mikro-orm/migrations';

export class Migration20261204003113_session_device extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sessions" add column "user_agent" varchar(255) null, add column "ip" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sessions" drop column "user_agent", drop column "ip";`);
  }

}
