/** What each user agreed to give each client; merged on every consent (never narrowed). */
import type { MikroORM } from '@mikro-orm/postgresql';

export class ConsentStore {
  constructor(private readonly orm: MikroORM) {}

  async granted(userId: string, clientId: string): Promise<Set<string>> {
    const rows = await this.orm.em.fork().getConnection().execute<{ scopes: string[] }[]>('select scopes from consents where user_id = ? and client_id = ?', [userId, clientId]);
    return new Set(rows[0]?.scopes ?? []);
  }

  /** Adds `scopes` to what was granted before, atomically. */
  async grant(userId: string, clientId: string, scopes: string[]): Promise<void> {
    await this.orm.em
      .fork()
      .getConnection()
      .execute(
        `insert into consents (user_id, client_id, scopes, updated_at) values (?, ?, ?::jsonb, now())
         on conflict (user_id, client_id) do update
           set scopes = (select coalesce(jsonb_agg(distinct s order by s), '[]'::jsonb)
                         from jsonb_array_elements_text(consents.scopes || excluded.scopes) as s),
               updated_at = now()`,
        [userId, clientId, JSON.stringify(scopes)],
      );
  }
}
