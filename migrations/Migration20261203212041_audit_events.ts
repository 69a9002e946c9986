import { Migration } from '@mikro-orm/migrations';

/**
 * Audit events kept for the `auditEvents` query (src/audit-store.ts), each until
 * its `expires_at` (AUDIT_RETENTION), when housekeeping deletes it; read newest first by (time, id).
 */
export class Migration20261203212041_audit_events extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_events" ("id" uuid not null, "time" timestamptz not null, "event" varchar(64) not null, "outcome" varchar(16) not null, "actor" varchar(255) null, "client" varchar(255) null, "ip" varchar(64) null, "message" text not null, "instance" varchar(255) not null, "details" jsonb not null, "expires_at" timestamptz not null, constraint "audit_events_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_events_expires_at_index" on "audit_events" ("expires_at");`);
    this.addSql(`create index "audit_events_client_time_index" on "audit_events" ("client", "time");`);
    this.addSql(`create index "audit_events_actor_time_index" on "audit_events" ("actor", "time");`);
    this.addSql(`create index "audit_events_event_time_index" on "audit_events" ("event", "time");`);
    this.addSql(`create index "audit_events_time_id_index" on "audit_events" ("time", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_events" cascade;`);
  }

}
