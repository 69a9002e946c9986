/**
 * The `jti`s of client assertions already accepted (RFC 7523 §3 item 7; OIDC Core §9: "the
 * JWT MUST NOT be reused"), shared by every instance on the database: one conditional insert,
 * so that of any number of parallel presentations of one assertion, on any instances, exactly
 * one is accepted (docs/SECURITY.md CA-01). A row lives until the assertion's `exp`; an expired
 * row not yet swept by housekeeping no longer blocks its `jti`. Request objects' `jti`s are
 * kept here too (src/provider/authorization/request-object.ts): one namespace per client, so a
 * JWT is used once, whatever it is presented as (docs/SECURITY.md RO-06).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';

export class AssertionStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {}

  /** Whether this is the first use of `jti` by the client (true: recorded until `expiresAt`, ms). */
  async useOnce(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    const rows = await this.orm.em
      .fork()
      .getConnection()
      .execute<unknown[]>(
        `insert into client_assertions (client_id, jti, expires_at) values (?, ?, ?)
         on conflict (client_id, jti) do update set expires_at = excluded.expires_at
           where client_assertions.expires_at <= ?
         returning 1`,
        [clientId, jti, new Date(expiresAt), new Date(this.clock.now())],
        'all',
      );
    return rows.length === 1;
  }
}
