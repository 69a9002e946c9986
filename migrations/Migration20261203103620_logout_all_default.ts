import { Migration } from '@mikro-orm/migrations';

export class Migration20261203103620_logout_all_default extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "clients" alter column "logout_all" type boolean using ("logout_all"::boolean);`);
    this.addSql(`alter table "clients" alter column "logout_all" set default true;`);
    // Signing out at an application ends the provider session (RP-Initiated Logout 1.0 §2); the old
    // default kept it alive. Every client takes the new behaviour; `clients update --id … --no-logout-all`
    // puts one back to ending only its own grants.
    this.addSql(`update "clients" set "logout_all" = true where "logout_all" = false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "clients" alter column "logout_all" type bool using ("logout_all"::bool);`);
    this.addSql(`alter table "clients" alter column "logout_all" set default false;`);
  }

}
