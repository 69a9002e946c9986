import { Entity, ManyToOne, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';

/**
 * One authorization: the code, the access tokens and the chain of refresh tokens that follow
 * from a single login and consent. Revoking it ends all of them.
 */
@Entity({ tableName: 'grants' })
@Index({ properties: ['userId'] })
@Index({ properties: ['clientId'] })
// Logout revokes a session's grants by `sid` (src/provider/stores/grant-store.ts revokeBySession);
// housekeeping deletes them by `expires_at` (src/db/housekeeping.ts).
@Index({ properties: ['sid'] })
@Index({ properties: ['expiresAt'] })
export class Grant {
  [OptionalProps]?: 'createdAt' | 'refreshCount' | 'revokedAt' | 'nonce' | 'sid' | 'acr' | 'amr' | 'resources' | 'claims';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Client, { fieldName: 'client_id', mapToPk: true, deleteRule: 'cascade' })
  clientId!: string;

  @ManyToOne(() => User, { fieldName: 'user_id', mapToPk: true, deleteRule: 'cascade' })
  userId!: string;

  /** Space-separated scopes granted. */
  @Property({ type: 'text' })
  scope!: string;

  @Property({ type: 'datetime' })
  authTime!: Date;

  /** The provider session (`sid`) it was granted in. */
  @Property({ type: 'string', length: 64, nullable: true })
  sid?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  nonce?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  acr?: string | null;

  @Property({ type: 'json', nullable: true })
  amr?: string[] | null;

  /** The resources (RFC 8707) the authorization named: its access tokens are for these only; null: none named. */
  @Property({ type: 'json', nullable: true })
  resources?: string[] | null;

  /**
   * The claims the authorization asked for by name (OIDC Core §5.5, the `claims` parameter):
   * `{ userinfo: [...], id_token: [...] }`, released with the scope-based ones; null: none asked.
   */
  @Property({ type: 'json', nullable: true })
  claims?: { userinfo: string[]; id_token: string[] } | null;

  /** Refreshes done so far (MAX_REFRESH caps it). */
  @Property({ type: 'integer', default: 0 })
  refreshCount: number = 0;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** When the last refresh token of the grant expires; the grant is dead after that. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
