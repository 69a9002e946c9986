/**
 * Device authorization requests (RFC 8628): the one way to the `device_requests` table. The
 * `device_code` is 256 random bits, stored as its SHA-256 only; the `user_code` is 8 letters of
 * an alphabet without vowels or look-alikes (§6.1), unique among the rows. Every change of state
 * is one conditional statement, so that of parallel approvals, denials or polls one decides
 * (docs/SECURITY.md DV-01…).
 */
import { randomInt } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';
import { digest, newOpaqueValue } from './secrets.js';

/** RFC 8628 §6.1: 20 consonants, none that reads as a digit or another letter (no vowels: no words). */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval. */
export const SLOW_DOWN_SECONDS = 5;

export type DeviceStatus = 'pending' | 'approved' | 'denied';

export interface DeviceRecord {
  deviceHash: string;
  userCode: string;
  clientId: string;
  scope: string;
  resources: string[] | null;
  status: DeviceStatus;
  userId: string | null;
  grantId: string | null;
  codeHash: string | null;
  interval: number;
  lastPollAt: number | null;
  expiresAt: number;
}

/** A user code as shown: `XXXX-XXXX`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A typed user code, compared without case, spaces or dashes; undefined when it cannot be one. */
export function normalizeUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  return code.length === USER_CODE_LENGTH && [...code].every((c) => USER_CODE_ALPHABET.includes(c)) ? code : undefined;
}

function newUserCode(): string {
  return Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
}

type Row = Record<string, unknown>;
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());

function toRecord(r: Row): DeviceRecord {
  return {
    deviceHash: String(r.device_hash),
    userCode: String(r.user_code),
    clientId: String(r.client_id),
    scope: String(r.scope),
    resources: (r.resources as string[] | null) ?? null,
    status: String(r.status) as DeviceStatus,
    userId: (r.user_id as string | null) ?? null,
    grantId: (r.grant_id as string | null) ?? null,
    codeHash: (r.code_hash as string | null) ?? null,
    interval: Number(r.poll_interval),
    lastPollAt: r.last_poll_at === null || r.last_poll_at === undefined ? null : ms(r.last_poll_at),
    expiresAt: ms(r.expires_at),
  };
}

export class DeviceStore {
  private readonly connection: ReturnType<EntityManager['getConnection']>;

  constructor(
    orm: MikroORM,
    private readonly clock: Clock,
  ) {
    this.connection = orm.em.getConnection();
  }

  private sql(query: string, params: unknown[]): Promise<Row[]> {
    return this.connection.execute<Row[]>(query, params, 'all');
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** A new pending request; its user code is drawn again in the rare case it is taken. */
  async create(request: { clientId: string; scope: string; resources: string[] | null; ttlSeconds: number; interval: number }): Promise<{ deviceCode: string; userCode: string; deviceHash: string }> {
    const deviceCode = newOpaqueValue();
    const deviceHash = digest(deviceCode);
    for (let attempt = 0; ; attempt++) {
      const userCode = newUserCode();
      const rows = await this.sql(
        `insert into device_requests (device_hash, user_code, client_id, scope, resources, status, poll_interval, created_at, expires_at)
         values (?, ?, ?, ?, ?::jsonb, 'pending', ?, ?, ?) on conflict (user_code) do nothing returning 1`,
        [deviceHash, userCode, request.clientId, request.scope, request.resources?.length ? JSON.stringify(request.resources) : null, request.interval, this.now(), new Date(this.clock.now() + request.ttlSeconds * 1000)],
      );
      if (rows.length === 1) return { deviceCode, userCode, deviceHash };
      if (attempt >= 5) throw new Error('no free user code');
    }
  }

  /** The live pending request of a (normalised) user code: the verification page's lookup. */
  async findPendingByUserCode(userCode: string): Promise<DeviceRecord | undefined> {
    const rows = await this.sql(`select * from device_requests where user_code = ? and status = 'pending' and expires_at > ?`, [userCode, this.now()]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** The live pending request of a digest: the end of the sign-in it started. */
  async findPending(deviceHash: string): Promise<DeviceRecord | undefined> {
    const rows = await this.sql(`select * from device_requests where device_hash = ? and status = 'pending' and expires_at > ?`, [deviceHash, this.now()]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Approved, once, while pending and live: the grant and its code to redeem. False when decided already or expired. */
  async approve(deviceHash: string, approval: { userId: string; grantId: string; codeHash: string }): Promise<boolean> {
    const rows = await this.sql(
      `update device_requests set status = 'approved', user_id = ?, grant_id = ?, code_hash = ? where device_hash = ? and status = 'pending' and expires_at > ? returning 1`,
      [approval.userId, approval.grantId, approval.codeHash, deviceHash, this.now()],
    );
    return rows.length === 1;
  }

  /** Denied, once, while pending and live. */
  async deny(deviceHash: string): Promise<boolean> {
    const rows = await this.sql(`update device_requests set status = 'denied' where device_hash = ? and status = 'pending' and expires_at > ? returning 1`, [deviceHash, this.now()]);
    return rows.length === 1;
  }

  /**
   * A poll of the token endpoint (RFC 8628 §3.4), recorded in one statement under the row's lock:
   * one that comes sooner than the interval after the previous one is told to slow down, and the
   * interval grows by 5 seconds (§3.5). Undefined for an unknown device code.
   */
  async poll(deviceCode: string): Promise<(DeviceRecord & { slowDown: boolean }) | undefined> {
    if (deviceCode.length > 256) return undefined;
    const now = this.now();
    const rows = await this.sql(
      `update device_requests d
         set last_poll_at = ?,
             poll_interval = case when o.last_poll_at is not null and o.last_poll_at > ?::timestamptz - o.poll_interval * interval '1 second' then o.poll_interval + ${SLOW_DOWN_SECONDS} else o.poll_interval end
       from (select device_hash, last_poll_at, poll_interval from device_requests where device_hash = ? for update) o
       where d.device_hash = o.device_hash
       returning d.*, d.poll_interval > o.poll_interval as slow_down`,
      [now, now, digest(deviceCode)],
    );
    return rows[0] ? { ...toRecord(rows[0]), slowDown: rows[0].slow_down === true } : undefined;
  }

  /** Which of `clientIds` have a device request waiting (the sweep of unused clients keeps those). */
  async clientsWithRequests(clientIds: readonly string[]): Promise<Set<string>> {
    if (clientIds.length === 0) return new Set();
    const rows = await this.sql('select distinct client_id from device_requests where client_id in (?)', [clientIds]);
    return new Set(rows.map((r) => String(r.client_id)));
  }
}
