/**
 * Pushed authorization requests (RFC 9126): the parameters a client pushed to `/par`, kept in
 * PostgreSQL so that every instance knows them, under a `request_uri` of 256 random bits that is
 * stored as its SHA-256 only. A request_uri is used once, by the client that pushed it, before it
 * expires: `take` is one conditional `DELETE … RETURNING`, so of parallel authorization requests
 * bringing the same request_uri exactly one gets the parameters (docs/SECURITY.md PAR-01…PAR-03).
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock.js';
import { PushedAuthorizationRequest } from '../../db/entities/pushed-authorization-request.js';
import { digest, newOpaqueValue } from './secrets.js';

/** RFC 9126 §2.2: the `request_uri` is a URN of this form, its random part unguessable (§7.1). */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2 suggests a short life (5 to 600 s): long enough for a browser redirect, no more. */
export const PUSHED_REQUEST_TTL_SECONDS = 60;

/** The random part of a request_uri this provider makes (43 base64url characters), or undefined. */
function randomPart(requestUri: string): string | undefined {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
  const rest = requestUri.slice(REQUEST_URI_PREFIX.length);
  return /^[A-Za-z0-9_-]{43}$/.test(rest) ? rest : undefined;
}

/** A pushed request's parameters as the form parser gave them: a repeated parameter is a list. */
export type PushedParams = Record<string, string | string[]>;

export class PushedRequestStore {
  /** Raw statements need no unit of work: one shared connection. */
  private readonly connection: ReturnType<EntityManager['getConnection']>;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
  ) {
    this.connection = orm.em.getConnection();
  }

  /** Which of `clientIds` have a pushed request waiting (the sweep of unused clients keeps those). */
  async clientsWithRequests(clientIds: readonly string[]): Promise<Set<string>> {
    if (clientIds.length === 0) return new Set();
    const rows = await this.connection.execute<{ client_id: string }[]>('select distinct client_id from pushed_authorization_requests where client_id in (?)', [clientIds]);
    return new Set(rows.map((r) => r.client_id));
  }

  /** Stores `params` for `clientId`; returns the new request_uri and its lifetime in seconds. */
  async push(clientId: string, params: PushedParams): Promise<{ requestUri: string; expiresIn: number }> {
    const secret = newOpaqueValue();
    const em = this.orm.em.fork();
    em.create(PushedAuthorizationRequest, { uriHash: digest(secret), clientId, params, expiresAt: new Date(this.clock.now() + PUSHED_REQUEST_TTL_SECONDS * 1000) });
    await em.flush();
    return { requestUri: `${REQUEST_URI_PREFIX}${secret}`, expiresIn: PUSHED_REQUEST_TTL_SECONDS };
  }

  /**
   * The pushed parameters, once: only for the client that pushed them and before they expire
   * (at `expires_at` itself they are gone). Another client's attempt neither gets nor spends them.
   */
  async take(requestUri: string, clientId: string): Promise<PushedParams | undefined> {
    const secret = randomPart(requestUri);
    if (secret === undefined) return undefined;
    const rows = await this.connection.execute<{ params: unknown }[]>(
      'delete from pushed_authorization_requests where uri_hash = ? and client_id = ? and expires_at > ? returning params',
      [digest(secret), clientId, new Date(this.clock.now())],
      'all',
    );
    const params = rows[0]?.params;
    return isPushedParams(params) ? params : undefined;
  }
}

/** Read back from a JSON column: checked, not assumed. */
function isPushedParams(value: unknown): value is PushedParams {
  const isString = (v: unknown) => typeof v === 'string';
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => isString(v) || (Array.isArray(v) && v.every(isString)));
}
