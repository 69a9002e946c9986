/**
 * Grants and what hangs off them: single-use authorization codes and rotating refresh tokens.
 * Uses of a code or a refresh token are atomic `UPDATE … WHERE … IS NULL RETURNING` statements,
 * so of any number of parallel redemptions exactly one wins (docs/SECURITY.md TK-02, TK-19).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { digest, newOpaqueValue } from './secrets.js';
import { storedClaims, type GrantedClaims } from '../authorization/claims-parameter.js';

export interface GrantRecord {
  id: string;
  clientId: string;
  userId: string;
  scope: string;
  authTime: number;
  sid: string | null;
  nonce: string | null;
  acr: string | null;
  amr: string[] | null;
  /** The resources (RFC 8707) the authorization named; null when it named none. */
  resources: string[] | null;
  /** The claims the authorization asked for by name (OIDC Core §5.5), for /userinfo and the ID token; null: none. */
  claims: GrantedClaims | null;
  refreshCount: number;
  revokedAt: number | null;
  expiresAt: number;
  createdAt: number;
}

export interface CodeRecord {
  codeHash: string;
  grantId: string;
  clientId: string;
  redirectUri: string | null;
  codeChallenge: string | null;
  /** The DPoP key thumbprint the authorization request named (`dpop_jkt`, RFC 9449 §10), or null. */
  dpopJkt: string | null;
  scope: string;
  expiresAt: number;
  consumedAt: number | null;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  rotatedAt: number | null;
  /** The DPoP key thumbprint a public client's refresh token is bound to (RFC 9449 §5), or null. */
  dpopJkt: string | null;
}

/** What a user's grants with one client add up to: the user's own view of a connected app. */
export interface GrantSummary {
  clientId: string;
  /** Grants not revoked and not expired: their tokens work. */
  activeGrants: number;
  /** The scopes of those grants, each once, sorted. */
  activeScopes: string[];
  /** The oldest grant not revoked (expired ones count until housekeeping deletes them); null when all were revoked. */
  firstGrantedAt: number | null;
  /** When the client last got tokens for the user: a grant made, a code redeemed or a refresh (their use at APIs is not recorded). */
  lastIssuedAt: number;
}

export interface NewGrant {
  clientId: string;
  userId: string;
  scope: string;
  authTime: number;
  sid: string | null;
  nonce: string | null;
  acr?: string | null;
  amr?: string[] | null;
  resources?: string[] | null;
  claims?: GrantedClaims | null;
}

type Row = Record<string, unknown>;
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());
const msOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : ms(v));

function toGrant(r: Row): GrantRecord {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    userId: String(r.user_id),
    scope: String(r.scope),
    authTime: ms(r.auth_time),
    sid: (r.sid as string | null) ?? null,
    nonce: (r.nonce as string | null) ?? null,
    acr: (r.acr as string | null) ?? null,
    amr: (r.amr as string[] | null) ?? null,
    resources: (r.resources as string[] | null) ?? null,
    claims: storedClaims(r.claims),
    refreshCount: Number(r.refresh_count),
    revokedAt: msOrNull(r.revoked_at),
    expiresAt: ms(r.expires_at),
    createdAt: ms(r.created_at),
  };
}

function toCode(r: Row): CodeRecord {
  return {
    codeHash: String(r.code_hash),
    grantId: String(r.grant_id),
    clientId: String(r.client_id),
    redirectUri: (r.redirect_uri as string | null) ?? null,
    codeChallenge: (r.code_challenge as string | null) ?? null,
    dpopJkt: (r.dpop_jkt as string | null) ?? null,
    scope: String(r.scope),
    expiresAt: ms(r.expires_at),
    consumedAt: msOrNull(r.consumed_at),
  };
}

function toRefresh(r: Row): RefreshTokenRecord {
  return {
    tokenHash: String(r.token_hash),
    grantId: String(r.grant_id),
    clientId: String(r.client_id),
    scope: String(r.scope),
    expiresAt: ms(r.expires_at),
    rotatedAt: msOrNull(r.rotated_at),
    dpopJkt: (r.dpop_jkt as string | null) ?? null,
  };
}

/**
 * Revokes every live grant of a user — their refresh and access tokens die with them — in the
 * transaction of `em` when it has one: the users domain ends them together with a password
 * change or a disabled account (docs/SECURITY.md TK-21), all or nothing.
 */
export async function revokeGrantsOfUser(em: EntityManager, userId: string, now: Date, exceptGrantId?: string): Promise<void> {
  // `exceptGrantId` spares one grant: the caller's own, on a password change that ends the others.
  const spare = exceptGrantId !== undefined && isGrantId(exceptGrantId);
  await em
    .getConnection()
    .execute(`update grants set revoked_at = ? where user_id = ? and revoked_at is null${spare ? ' and id <> ?' : ''}`, spare ? [now, userId, exceptGrantId] : [now, userId], 'run', em.getTransactionContext());
}

/** Grant ids are UUIDs: anything else names no grant (and is never sent to PostgreSQL's uuid cast). */
export function isGrantId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

/** What a redemption marks used: fixed names, never input. */
const PRESENTED = {
  authorization_code: { table: 'authorization_codes', hash: 'code_hash', used: 'consumed_at' },
  refresh_token: { table: 'refresh_tokens', hash: 'token_hash', used: 'rotated_at' },
} as const;

/** What became of a code redemption or a refresh: 'grant-refused' changed nothing. */
export type RedeemOutcome = { refreshToken?: string } | 'replayed' | 'grant-refused';

export class GrantStore {
  /** Raw statements need no unit of work: one shared connection, no EntityManager fork per query. */
  private readonly connection: ReturnType<EntityManager['getConnection']>;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {
    this.connection = orm.em.getConnection();
  }

  private sql<T = Row>(query: string, params: unknown[], em?: EntityManager): Promise<T[]> {
    return (em ? em.getConnection() : this.connection).execute<T[]>(query, params, 'all', em?.getTransactionContext());
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** A grant without a code (the implicit flow), alive for `ttlMs`; returns its id. */
  async create(grant: NewGrant, ttlMs: number): Promise<string> {
    const id = randomUUID();
    await this.insertGrant(id, grant, new Date(this.clock.now() + ttlMs));
    return id;
  }

  private insertGrant(id: string, grant: NewGrant, expires: Date, em?: EntityManager): Promise<unknown> {
    return this.sql(
      `insert into grants (id, client_id, user_id, scope, auth_time, sid, nonce, acr, amr, resources, claims, refresh_count, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, 0, ?, ?)`,
      [id, grant.clientId, grant.userId, grant.scope, new Date(grant.authTime), grant.sid, grant.nonce, grant.acr ?? null, grant.amr ? JSON.stringify(grant.amr) : null, grant.resources?.length ? JSON.stringify(grant.resources) : null, grant.claims ? JSON.stringify(grant.claims) : null, this.now(), expires],
      em,
    );
  }

  /**
   * A new grant and its authorization code, in one transaction; returns the code. The grant lives
   * as long as the code, or `grantTtlMs` when tokens are issued with the code (hybrid flows): a
   * grant outlives every token it issued, or they would die with it (RFC 6749 §4.1.3).
   */
  async createWithCode(grant: NewGrant, code: { redirectUri: string | null; codeChallenge: string | null; dpopJkt?: string | null; ttlMs: number }, grantTtlMs = 0): Promise<{ code: string; grantId: string }> {
    const value = newOpaqueValue();
    const id = randomUUID();
    const expires = new Date(this.clock.now() + code.ttlMs);
    await this.orm.em.fork().transactional(async (em) => {
      await this.insertGrant(id, grant, new Date(this.clock.now() + Math.max(code.ttlMs, grantTtlMs)), em);
      await this.sql(
        `insert into authorization_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, dpop_jkt, scope, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
        [digest(value), id, grant.clientId, code.redirectUri, code.codeChallenge, code.dpopJkt ?? null, grant.scope, expires],
        em,
      );
    });
    return { code: value, grantId: id };
  }

  async findCode(code: string): Promise<CodeRecord | undefined> {
    if (code.length > 256) return undefined;
    const rows = await this.sql('select * from authorization_codes where code_hash = ?', [digest(code)]);
    return rows[0] ? toCode(rows[0]) : undefined;
  }

  /** A code by its digest: the device flow keeps only that (src/provider/stores/device-store.ts). */
  async findCodeByDigest(codeHash: string): Promise<CodeRecord | undefined> {
    const rows = await this.sql('select * from authorization_codes where code_hash = ?', [codeHash]);
    return rows[0] ? toCode(rows[0]) : undefined;
  }

  async findGrant(id: string, em?: EntityManager): Promise<GrantRecord | undefined> {
    if (!isGrantId(id)) return undefined;
    const rows = await this.sql('select * from grants where id = ?', [id], em);
    return rows[0] ? toGrant(rows[0]) : undefined;
  }

  /** Grants of a user and/or a client (at least one), newest first, at most `limit` (1 at least): the administration's view. */
  /** Which of `clientIds` have a grant (the sweep of unused clients keeps those). */
  async clientsWithGrants(clientIds: readonly string[]): Promise<Set<string>> {
    if (clientIds.length === 0) return new Set();
    const rows = await this.sql<{ client_id: string }>('select distinct client_id from grants where client_id in (?)', [clientIds]);
    return new Set(rows.map((r) => r.client_id));
  }

  async list(filter: { userId?: string; clientId?: string }, limit: number): Promise<GrantRecord[]> {
    const conditions = [
      ['user_id', filter.userId],
      ['client_id', filter.clientId],
    ].filter((c): c is [string, string] => c[1] !== undefined);
    if (conditions.length === 0) throw new Error('GrantStore.list: give a user, a client or both');
    const where = conditions.map(([column]) => `${column} = ?`);
    const params = conditions.map(([, value]) => value);
    const rows = await this.sql(`select * from grants where ${where.join(' and ')} order by created_at desc, id limit ${Math.max(1, Math.floor(limit))}`, params);
    return rows.map(toGrant);
  }

  /** How many grants are active now (not revoked, not expired): the administration's overview. */
  async countActive(): Promise<number> {
    const rows = await this.sql('select count(*)::int as n from grants where revoked_at is null and expires_at > ?', [new Date(this.clock.now())]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Whether tokens of this grant may still be used (not revoked, not expired more than `toleranceMs` ago). */
  async isActive(id: string, toleranceMs = 0): Promise<boolean> {
    const rows = await this.sql('select 1 from grants where id = ? and revoked_at is null and expires_at > ?', [id, new Date(this.clock.now() - toleranceMs)]);
    return rows.length === 1;
  }

  /** Revokes the grant: its access tokens fail where they are checked, its refresh tokens die. */
  async revoke(id: string): Promise<void> {
    if (!isGrantId(id)) return;
    await this.sql('update grants set revoked_at = coalesce(revoked_at, ?) where id = ?', [this.now(), id]);
  }

  /**
   * Revokes the grants made in a browser session (`sid`), all of them or one client's; returns
   * the clients whose grants ended (for back-channel logout).
   */
  async revokeBySession(sid: string, clientId?: string): Promise<string[]> {
    const rows = await this.sql<{ client_id: string }>(
      `update grants set revoked_at = coalesce(revoked_at, ?) where sid = ?${clientId ? ' and client_id = ?' : ''} returning client_id`,
      clientId ? [this.now(), sid, clientId] : [this.now(), sid],
    );
    return [...new Set(rows.map((r) => r.client_id))];
  }

  async revokeAllOfUser(userId: string): Promise<void> {
    await revokeGrantsOfUser(this.orm.em, userId, this.now());
  }

  /**
   * Revokes every grant of a user with one client — the user removing an app's access: its
   * refresh tokens die and its access tokens fail where they are checked, as after a revocation
   * (RFC 7009 §2.1) — in the transaction of `em` when given. The ids of those that were active
   * (not yet expired); expired ones are marked revoked too, and not counted.
   */
  async revokeOfUserAndClient(userId: string, clientId: string, em?: EntityManager): Promise<string[]> {
    const now = this.now();
    const rows = await this.sql<{ id: string; active: boolean }>(
      'update grants set revoked_at = ? where user_id = ? and client_id = ? and revoked_at is null returning id, (expires_at > ?) as active',
      [now, userId, clientId, now],
      em,
    );
    return rows.filter((r) => r.active).map((r) => String(r.id));
  }

  /**
   * A user's grants summed up per client (one statement): how many are active and with which
   * scopes, since when, and when the client last got tokens. Clients whose grants are all revoked
   * or expired are listed too (with 0 active); housekeeping deletes grants once their last token
   * expired, and with them what they recorded.
   */
  async summaryOfUser(userId: string): Promise<GrantSummary[]> {
    const now = this.now();
    const rows = await this.sql<{ client_id: string; active_grants: number; active_scopes: string | null; first_granted_at: unknown; last_issued_at: unknown }>(
      `select g.client_id,
              (count(*) filter (where g.revoked_at is null and g.expires_at > ?))::int as active_grants,
              string_agg(g.scope, ' ') filter (where g.revoked_at is null and g.expires_at > ?) as active_scopes,
              min(g.created_at) filter (where g.revoked_at is null) as first_granted_at,
              greatest(max(g.created_at), max(rt.last_issued)) as last_issued_at
       from grants g
       left join lateral (select max(created_at) as last_issued from refresh_tokens where grant_id = g.id) rt on true
       where g.user_id = ?
       group by g.client_id
       order by g.client_id`,
      [now, now, userId],
    );
    return rows.map((r) => ({
      clientId: String(r.client_id),
      activeGrants: Number(r.active_grants),
      activeScopes: [...new Set((r.active_scopes ?? '').split(' ').filter(Boolean))].sort(),
      firstGrantedAt: msOrNull(r.first_granted_at),
      lastIssuedAt: ms(r.last_issued_at),
    }));
  }

  async findRefreshToken(token: string): Promise<RefreshTokenRecord | undefined> {
    if (token.length > 256) return undefined;
    const rows = await this.sql('select * from refresh_tokens where token_hash = ?', [digest(token)]);
    return rows[0] ? toRefresh(rows[0]) : undefined;
  }

  /** A refresh token and its grant, in one round trip. */
  async findRefreshTokenWithGrant(token: string): Promise<{ record: RefreshTokenRecord; grant: GrantRecord | undefined } | undefined> {
    if (token.length > 256) return undefined;
    const rows = await this.sql('select rt.*, row_to_json(g.*) as "grant" from refresh_tokens rt left join grants g on g.id = rt.grant_id where rt.token_hash = ?', [digest(token)]);
    const row = rows[0];
    return row ? { record: toRefresh(row), grant: row.grant ? toGrant(row.grant as Row) : undefined } : undefined;
  }

  /**
   * One refresh (RFC 6749 §6, rotation per RFC 9700 §4.14.2): the grant counts a refresh (refused
   * when revoked or, with `maxRefresh`, used up), the presented token is marked used and its
   * successor stored. Of parallel refreshes with one token exactly one wins; the others come
   * back 'replayed' (docs/SECURITY.md TK-19). The successor is bound to the DPoP key its
   * predecessor was bound to, if any (RFC 9449 §5).
   */
  refresh(old: RefreshTokenRecord, ttlMs: number, maxRefresh: number | null): Promise<RedeemOutcome> {
    return this.redeem(PRESENTED.refresh_token, old, ttlMs, { max: maxRefresh }, old.dpopJkt);
  }

  /**
   * Redeems a code (RFC 6749 §4.1.3): it is marked used, and with `refreshTtlMs` the grant's
   * refresh token is stored with it — a code is never used up without its token, nor does it
   * yield tokens twice (docs/SECURITY.md TK-02). Without `refreshTtlMs` (a client without the
   * refresh_token grant) the code is marked used and the grant lives on for `accessTtlMs`, the
   * life of the access token it is about to issue — in one statement, so neither happens alone.
   * `refreshJkt`: the DPoP key the refresh token is bound to (a public client's, RFC 9449 §5).
   */
  async redeemCode(code: CodeRecord, refreshTtlMs: number | null, accessTtlMs: number, refreshJkt: string | null = null): Promise<RedeemOutcome> {
    if (refreshTtlMs !== null) return this.redeem(PRESENTED.authorization_code, code, Math.max(refreshTtlMs, accessTtlMs), null, refreshJkt);
    const now = new Date(this.clock.now());
    const [row] = await this.sql<{ marked: number; extended: number }>(
      `with marked as (
         update authorization_codes set consumed_at = ? where code_hash = ? and consumed_at is null returning grant_id),
       extended as (
         update grants set expires_at = greatest(expires_at, ?) where id in (select grant_id from marked) and revoked_at is null returning 1)
       select (select count(*) from marked)::int as marked, (select count(*) from extended)::int as extended`,
      [now, code.codeHash, new Date(now.getTime() + accessTtlMs)],
    );
    if (row!.marked !== 1) return 'replayed';
    return row!.extended === 1 ? {} : 'grant-refused'; // revoked meanwhile: the code is spent, no token
  }

  /**
   * A code or a refresh token exchanged for a new refresh token, as a single statement so that
   * all of it happens or none: the grant lives on to the new token's expiry (refused when
   * revoked, or when `countRefresh` finds it used up); only then is the presented value marked
   * used, and only a value marked used by this statement yields the new token. The row lock on
   * the presented value lets one of parallel redemptions win; 'grant-refused' changed nothing.
   */
  private async redeem(
    presented: (typeof PRESENTED)[keyof typeof PRESENTED],
    record: { grantId: string; clientId: string } & ({ codeHash: string } | { tokenHash: string }),
    ttlMs: number,
    countRefresh: { max: number | null } | null,
    dpopJkt: string | null,
  ): Promise<RedeemOutcome> {
    const value = newOpaqueValue();
    const now = new Date(this.clock.now());
    const expires = new Date(now.getTime() + ttlMs);
    const limit = countRefresh?.max ?? null;
    const { table, hash, used } = presented;
    const presentedHash = 'codeHash' in record ? record.codeHash : record.tokenHash;
    // The presented value is locked first: of parallel redemptions one goes on, the others wait and
    // then find it used (replayed). Only then is the grant extended (and counted), and only if
    // that succeeds is the value marked and its successor stored — so a replay or a refusal changes
    // nothing at all (RFC 6749 §4.1.2 single-use codes, RFC 9700 §4.14.2 refresh token rotation).
    const [row] = await this.sql<{ locked: number; issued: number }>(
      `with locked as (
         select 1 from ${table} where ${hash} = ? and ${used} is null for update),
       counted as (
         update grants set expires_at = greatest(expires_at, ?)${countRefresh ? ', refresh_count = refresh_count + 1' : ''}
         where id = ? and revoked_at is null${limit !== null ? ' and refresh_count < ?' : ''} and exists (select 1 from locked)
         returning id, scope),
       marked as (
         update ${table} set ${used} = ?
         where ${hash} = ? and exists (select 1 from counted)
         returning 1),
       issued as (
         insert into refresh_tokens (token_hash, grant_id, client_id, scope, expires_at, created_at, dpop_jkt)
         select ?, counted.id, ?, counted.scope, ?, ?, ? from counted where exists (select 1 from marked)
         returning 1)
       select (select count(*) from locked)::int as locked, (select count(*) from issued)::int as issued`,
      [presentedHash, expires, record.grantId, ...(limit !== null ? [limit] : []), now, presentedHash, digest(value), record.clientId, expires, now, dpopJkt],
    ).catch((e: unknown) => this.committedAnyway(e, value));
    if (row!.issued === 1) return { refreshToken: value };
    return row!.locked === 0 ? 'replayed' : 'grant-refused';
  }

  /**
   * The connection died with a redemption in flight: it may have committed all the same, and then
   * the presented code or token is used up and only the new refresh token carries the grant on.
   * Its row says which; without an answer the original error stands.
   */
  private async committedAnyway(e: unknown, refreshToken: string): Promise<{ locked: number; issued: number }[]> {
    if (!isDatabaseUnavailable(e)) throw e;
    const rows = await this.sql('select 1 from refresh_tokens where token_hash = ?', [digest(refreshToken)]).catch(() => Promise.reject(e));
    if (rows.length === 1) return [{ locked: 1, issued: 1 }];
    throw e;
  }

  /** Revokes one access token by its `jti` until it would expire anyway (RFC 7009). */
  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    await this.sql('insert into revoked_tokens (jti, expires_at) values (?, ?) on conflict (jti) do nothing', [jti, new Date(expiresAt)]);
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return (await this.sql('select 1 from revoked_tokens where jti = ?', [jti])).length > 0;
  }
}
