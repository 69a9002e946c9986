/**
 * The DPoP proofs already accepted (RFC 9449 §11.1), shared by every instance on the database:
 * one conditional insert decides, so that of any number of parallel presentations of one proof,
 * on any instances, exactly one is accepted (docs/SECURITY.md DP-05, DP-06). A row lives while
 * its proof's `iat` is within the accepted window; an expired row not yet swept by housekeeping
 * no longer blocks its key.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { DpopReplayCache } from '@jwt-oidc/resource';
import type { Clock } from '../../clock.js';

export class DpopProofStore implements DpopReplayCache {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {}

  /** `key` is `<jkt>:<jti>` (at most 320 characters: verifyDpopProof caps `jti` at 256). */
  async spend(key: string, expiresAt: number): Promise<boolean> {
    if (key.length > 320) return false;
    const rows = await this.orm.em
      .fork()
      .getConnection()
      .execute<unknown[]>(
        `insert into dpop_proofs (key, expires_at) values (?, ?)
         on conflict (key) do update set expires_at = excluded.expires_at
           where dpop_proofs.expires_at <= ?
         returning 1`,
        [key, new Date(expiresAt), new Date(this.clock.now())],
        'all',
      );
    return rows.length === 1;
  }
}
