/** What each user agreed to give each client; merged on every consent (never narrowed), forgotten when the user removes the app. */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/** One user's consent to one client: the scopes, since when, last widened when. */
export interface ConsentRecord {
  clientId: string;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

export class ConsentStore {
  constructor(private readonly orm: MikroORM) {}

  /** In the transaction of `em` when given. */
  private sql<T>(query: string, params: unknown[], em?: EntityManager): Promise<T[]> {
    return (em ?? this.orm.em.fork()).getConnection().execute<T[]>(query, params, 'all', em?.getTransactionContext());
  }

  /** Which of `clientIds` some user consented to (the sweep of unused clients keeps those). */
  async clientsWithConsents(clientIds: readonly string[]): Promise<Set<string>> {
    if (clientIds.length === 0) return new Set();
    const rows = await this.sql<{ client_id: string }>('select distinct client_id from consents where client_id in (?)', [clientIds]);
    return new Set(rows.map((r) => r.client_id));
  }

  async granted(userId: string, clientId: string): Promise<Set<string>> {
    const rows = await this.sql<{ scopes: string[] }>('select scopes from consents where user_id = ? and client_id = ?', [userId, clientId]);
    return new Set(rows[0]?.scopes ?? []);
  }

  /** Adds `scopes` to what was granted before, atomically. */
  async grant(userId: string, clientId: string, scopes: string[]): Promise<void> {
    await this.sql(
      `insert into consents (user_id, client_id, scopes, created_at, updated_at) values (?, ?, ?::jsonb, now(), now())
       on conflict (user_id, client_id) do update
         set scopes = (select coalesce(jsonb_agg(distinct s order by s), '[]'::jsonb)
                       from jsonb_array_elements_text(consents.scopes || excluded.scopes) as s),
             updated_at = now()`,
      [userId, clientId, JSON.stringify(scopes)],
    );
  }

  /** Every consent of a user: the user's own view of their connected apps (`Me.connectedApps`). */
  async listOfUser(userId: string): Promise<ConsentRecord[]> {
    const rows = await this.sql<{ client_id: string; scopes: string[]; created_at: Date; updated_at: Date }>('select client_id, scopes, created_at, updated_at from consents where user_id = ? order by client_id', [userId]);
    return rows.map((r) => ({ clientId: r.client_id, scopes: r.scopes, createdAt: new Date(r.created_at).getTime(), updatedAt: new Date(r.updated_at).getTime() }));
  }

  /**
   * Forgets the user's consent to a client, so that the next authorization asks again (OIDC Core
   * §3.1.2.4); in the transaction of `em` when given. Whether there was one.
   */
  async forget(userId: string, clientId: string, em?: EntityManager): Promise<boolean> {
    const rows = await this.sql('delete from consents where user_id = ? and client_id = ? returning 1', [userId, clientId], em);
    return rows.length > 0;
  }
}
