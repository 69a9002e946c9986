import { Migration } from '@mikro-orm/migrations';

export class Migration20261128135319_provider extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "clients" ("id" varchar(128) not null, "secret_hash" varchar(64) null, "secret_expires_at" timestamptz null, "name" varchar(255) not null, "logo_uri" varchar(2048) null, "redirect_uris" jsonb not null, "post_logout_redirect_uris" jsonb not null default '[]', "allowed_origins" jsonb not null default '[]', "grant_types" jsonb not null default '["authorization_code","refresh_token"]', "response_types" jsonb not null default '["code"]', "first_party" boolean not null default false, "logout_all" boolean not null default false, "admin" boolean not null default false, "id_token_signed_response_alg" varchar(8) null, "extra_id_token_claims" jsonb not null default '{}', "user_restrictions" jsonb not null default '[]', "audiences" jsonb not null default '[]', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "clients_pkey" primary key ("id"));`);

    this.addSql(`create table "sessions" ("id_hash" varchar(64) not null, "sid" varchar(64) not null, "user_id" uuid not null, "auth_time" timestamptz not null, "amr" jsonb not null default '["pwd"]', "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "sessions_pkey" primary key ("id_hash"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_sid_unique" unique ("sid");`);
    this.addSql(`create index "sessions_expires_at_index" on "sessions" ("expires_at");`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(`create table "interactions" ("uid" varchar(64) not null, "cookie_hash" varchar(64) not null, "csrf_hash" varchar(64) not null, "request" jsonb not null, "user_id" uuid null, "auth_time" timestamptz null, "session_hash" varchar(64) null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "interactions_pkey" primary key ("uid"));`);
    this.addSql(`create index "interactions_user_id_index" on "interactions" ("user_id");`);
    this.addSql(`create index "interactions_expires_at_index" on "interactions" ("expires_at");`);

    this.addSql(`create table "grants" ("id" uuid not null, "client_id" varchar(128) not null, "user_id" uuid not null, "scope" text not null, "auth_time" timestamptz not null, "sid" varchar(64) null, "nonce" varchar(255) null, "acr" varchar(255) null, "amr" jsonb null, "refresh_count" int not null default 0, "revoked_at" timestamptz null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "grants_pkey" primary key ("id"));`);
    this.addSql(`create index "grants_client_id_index" on "grants" ("client_id");`);
    this.addSql(`create index "grants_user_id_index" on "grants" ("user_id");`);

    this.addSql(`create table "refresh_tokens" ("token_hash" varchar(64) not null, "grant_id" uuid not null, "client_id" varchar(128) not null, "scope" text not null, "expires_at" timestamptz not null, "rotated_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "refresh_tokens_pkey" primary key ("token_hash"));`);
    this.addSql(`create index "refresh_tokens_expires_at_index" on "refresh_tokens" ("expires_at");`);
    this.addSql(`create index "refresh_tokens_grant_id_index" on "refresh_tokens" ("grant_id");`);

    this.addSql(`create table "authorization_codes" ("code_hash" varchar(64) not null, "grant_id" uuid not null, "client_id" varchar(128) not null, "redirect_uri" varchar(2048) null, "code_challenge" varchar(128) null, "scope" text not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, constraint "authorization_codes_pkey" primary key ("code_hash"));`);
    this.addSql(`create index "authorization_codes_grant_id_index" on "authorization_codes" ("grant_id");`);
    this.addSql(`create index "authorization_codes_expires_at_index" on "authorization_codes" ("expires_at");`);

    this.addSql(`create table "consents" ("user_id" uuid not null, "client_id" varchar(128) not null, "scopes" jsonb not null, "updated_at" timestamptz not null default now(), constraint "consents_pkey" primary key ("user_id", "client_id"));`);
    this.addSql(`create index "consents_client_id_index" on "consents" ("client_id");`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "interactions" add constraint "interactions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "grants" add constraint "grants_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "grants" add constraint "grants_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_grant_id_foreign" foreign key ("grant_id") references "grants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "authorization_codes" add constraint "authorization_codes_grant_id_foreign" foreign key ("grant_id") references "grants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "consents" add constraint "consents_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "consents" add constraint "consents_client_id_foreign" foreign key ("client_id") references "clients" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "grants" drop constraint "grants_client_id_foreign";`);

    this.addSql(`alter table "consents" drop constraint "consents_client_id_foreign";`);

    this.addSql(`alter table "refresh_tokens" drop constraint "refresh_tokens_grant_id_foreign";`);

    this.addSql(`alter table "authorization_codes" drop constraint "authorization_codes_grant_id_foreign";`);

    this.addSql(`drop table if exists "clients" cascade;`);

    this.addSql(`drop table if exists "sessions" cascade;`);

    this.addSql(`drop table if exists "interactions" cascade;`);

    this.addSql(`drop table if exists "grants" cascade;`);

    this.addSql(`drop table if exists "refresh_tokens" cascade;`);

    this.addSql(`drop table if exists "authorization_codes" cascade;`);

    this.addSql(`drop table if exists "consents" cascade;`);
  }

}
