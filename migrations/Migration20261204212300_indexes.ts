import { Migration } from '@mikro-orm/migrations';

export class Migration20261204212300_indexes extends Migration {

  override async up(): Promise<void> {
    // The trigram indexes of the administration's search need pg_trgm (docs/OPERATIONS.md "The
    // database user and pg_trgm"). It ships with PostgreSQL's contrib modules (the embedded
    // server and the managed ones have it) and is trusted since PostgreSQL 13, so the database's
    // owner may create it; anyone else gets this message instead of a bare "permission denied".
    this.addSql(`do $$
begin
  create extension if not exists pg_trgm;
exception when others then
  raise exception 'jwt-oidc needs the PostgreSQL extension pg_trgm for its search indexes and could not create it: %', sqlerrm
    using hint = 'Run "create extension pg_trgm;" in this database as its owner or a superuser (PostgreSQL 13 or later lets the owner create it), then start again. See docs/OPERATIONS.md "The database user and pg_trgm".';
end $$;`);
    this.addSql(`create index "clients_name_prefix" on "clients" (lower("name") text_pattern_ops);`);
    this.addSql(`create index "clients_name_trgm" on "clients" using gin ("name" gin_trgm_ops);`);
    this.addSql(`create index "clients_id_prefix" on "clients" (lower("id") text_pattern_ops);`);
    this.addSql(`create index "clients_id_trgm" on "clients" using gin ("id" gin_trgm_ops);`);

    this.addSql(`create index "users_family_name_prefix" on "users" (lower("family_name") text_pattern_ops);`);
    this.addSql(`create index "users_family_name_trgm" on "users" using gin ("family_name" gin_trgm_ops);`);
    this.addSql(`create index "users_given_name_prefix" on "users" (lower("given_name") text_pattern_ops);`);
    this.addSql(`create index "users_given_name_trgm" on "users" using gin ("given_name" gin_trgm_ops);`);
    this.addSql(`create index "users_email_prefix" on "users" (lower("email") text_pattern_ops);`);
    this.addSql(`create index "users_email_trgm" on "users" using gin ("email" gin_trgm_ops);`);
    this.addSql(`create index "users_username_prefix" on "users" (lower("username") text_pattern_ops);`);
    this.addSql(`create index "users_username_trgm" on "users" using gin ("username" gin_trgm_ops);`);

    this.addSql(`create index "grants_expires_at_index" on "grants" ("expires_at");`);
    this.addSql(`create index "grants_sid_index" on "grants" ("sid");`);

    this.addSql(`create index "initial_access_tokens_expires_at_index" on "initial_access_tokens" ("expires_at");`);
  }

  override async down(): Promise<void> {
    // pg_trgm stays: it holds no data, and something else in the database may use it.
    this.addSql(`drop index "clients_name_prefix";`);
    this.addSql(`drop index "clients_name_trgm";`);
    this.addSql(`drop index "clients_id_prefix";`);
    this.addSql(`drop index "clients_id_trgm";`);

    this.addSql(`drop index "grants_expires_at_index";`);
    this.addSql(`drop index "grants_sid_index";`);

    this.addSql(`drop index "initial_access_tokens_expires_at_index";`);

    this.addSql(`drop index "users_family_name_prefix";`);
    this.addSql(`drop index "users_family_name_trgm";`);
    this.addSql(`drop index "users_given_name_prefix";`);
    this.addSql(`drop index "users_given_name_trgm";`);
    this.addSql(`drop index "users_email_prefix";`);
    this.addSql(`drop index "users_email_trgm";`);
    this.addSql(`drop index "users_username_prefix";`);
    this.addSql(`drop index "users_username_trgm";`);
  }

}
