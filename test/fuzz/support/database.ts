/**
 * ∅DB: a rejected request (4xx other than 429) leaves the database as it was, except for the
 * writes a rejection makes on purpose, allowed explicitly where they happen. Here: snapshots of
 * every table of a service's database, their difference, and the test for one such write (a
 * renewed CSRF token).
 */
import pg from 'pg';

export type Snapshot = Map<string, Set<string>>;
export interface TableDiff {
  table: string;
  added: string[];
  removed: string[];
}

/**
 * Every row of every table of a service's database, on one connection. Rows about to expire
 * are left out (housekeeping deletes expired rows on a timer, which is no write of a request),
 * and so is the audit trail (`audit_events`): a refusal is audited on purpose, and the events of
 * earlier requests are written in batches, a moment later (src/audit-stream.ts).
 */
export class DbWatch {
  private tables: { name: string; expires: boolean }[] = [];
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<DbWatch> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const watch = new DbWatch(client);
    const { rows } = await client.query<{ table_name: string; expires: boolean }>(
      `select t.table_name, exists (select 1 from information_schema.columns c where c.table_schema = 'public' and c.table_name = t.table_name and c.column_name = 'expires_at') as expires
         from information_schema.tables t where t.table_schema = 'public' and t.table_type = 'BASE TABLE' and t.table_name not like 'mikro_orm%' and t.table_name <> 'audit_events' order by 1`,
    );
    watch.tables = rows.map((r) => ({ name: r.table_name, expires: r.expires }));
    return watch;
  }

  /** Rows that live beyond `cutoff` (pass the same one before and after a request). */
  async snapshot(cutoff = new Date(Date.now() + 30_000)): Promise<Snapshot> {
    const parts = this.tables.map((t, i) => `select ${i} as t, row_to_json(x)::text as r from "${t.name}" x${t.expires ? ' where x.expires_at > $1' : ''}`);
    const { rows } = await this.client.query<{ t: number; r: string }>(parts.join(' union all '), [cutoff]);
    const snapshot: Snapshot = new Map(this.tables.map((t) => [t.name, new Set<string>()]));
    for (const row of rows) snapshot.get(this.tables[row.t]!.name)!.add(row.r);
    return snapshot;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export function diffSnapshots(before: Snapshot, after: Snapshot): TableDiff[] {
  const diffs: TableDiff[] = [];
  for (const [table, rows] of after) {
    const old = before.get(table) ?? new Set<string>();
    const added = [...rows].filter((r) => !old.has(r));
    const removed = [...old].filter((r) => !rows.has(r));
    if (added.length || removed.length) diffs.push({ table, added, removed });
  }
  return diffs;
}

/** Only a renewed CSRF token of an interaction (a login page shown again after a failed attempt). */
export function onlyCsrfRenewed(diffs: TableDiff[]): boolean {
  return diffs.every((d) => {
    if (d.table !== 'interactions' || d.added.length !== d.removed.length) return false;
    const strip = (r: string) => {
      const { csrf_hash: _, ...rest } = JSON.parse(r) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const removed = new Set(d.removed.map(strip));
    return d.added.every((r) => removed.has(strip(r)));
  });
}
