/**
 * Bearer tokens on GraphQL subscriptions over WebSocket (graphql-ws, the `graphql-transport-ws`
 * protocol): `withSubscriptionAuth(serverOptions, plugin)` wraps the options of graphql-ws's
 * `useServer` (`graphql-ws/use/ws`) so that a connection is authenticated once, when it opens,
 * and never outlives its token:
 *
 *   - the token comes in `connection_init`'s payload (`{ "authorization": "Bearer …" }`, what a
 *     browser can send: it cannot set headers on a WebSocket) or in the upgrade request's
 *     `Authorization` header (RFC 6750 §2.1); a token in the URL is refused (RFC 6750 §5.3);
 *   - a bad token, or none where one is required, closes the socket with 4401 "Unauthorized"
 *     before any operation runs; an issuer that cannot be reached closes it with 1013 "Try
 *     Again Later" (RFC 6455 §7.4.2, the IANA registry);
 *   - `getAuth(ctx)` works in subscription resolvers as in queries, and `@authenticated` /
 *     `@requiresScopes` / `@requiresAcr` (and the plugin's `acr`) apply to the fields an
 *     operation selects (a refusal is the operation's error, UNAUTHENTICATED, FORBIDDEN or
 *     INSUFFICIENT_USER_AUTHENTICATION with its `acrValues`; the connection stays);
 *   - at the token's `exp` the socket is closed with 4401, unless the client sent a fresh token
 *     first, in a `ping` message: `{ "type": "ping", "payload": { "authorization": "Bearer …" } }`
 *     (graphql-ws's protocol allows one `connection_init` only). The fresh token must name the
 *     same subject of the same issuer (else 4403), and still satisfy every running operation's
 *     directives (else 4403); a bad one closes with 4401;
 *   - with `revocationCheckInterval`, the token is also checked at the issuer's introspection
 *     endpoint (RFC 7662) that often, and a revoked one closes the socket with 4401;
 *   - DPoP-bound tokens (RFC 9449) are refused, 4401 with a reason that says so: a proof names
 *     one HTTP request's method and URL (§4.2), and a WebSocket's messages have neither, so
 *     possession of the key could only be shown once, at the upgrade, and the socket would then
 *     carry the token as a bearer token would. Subscriptions take bearer tokens.
 */
import type { IncomingMessage } from 'node:http';
import { execute as graphqlExecute, subscribe as graphqlSubscribe, GraphQLError, type ExecutionArgs } from 'graphql';
import { bearerFromHeader, BearerError, IssuerUnavailableError, tokenInQuery, type StepUpRequirement } from '@jwt-oidc/resource';
import { requirementsOf, unmet, type Caller, type Demands, type Requirements } from './directives.js';
import { toGraphQLError } from './errors.js';

/** graphql-ws's close codes for authentication (its `CloseCode`), and RFC 6455's "Try Again Later". */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_BAD_REQUEST = 4400;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** A connection's caller, as its token source vouches for it. */
export interface Authenticated<A> {
  auth: A;
  /** When the token stops being valid, ms since the epoch (its `exp`); none: never. */
  expiresAt?: number;
  /** Who it is (issuer and subject): a renewed token must name the same. */
  principal: string;
  /** Asks the issuer whether the token is still active; absent when it cannot be asked. */
  isActive?: () => Promise<boolean>;
}

/** What connections need of a token source: `jwtOidcPlugin(…).connections`, or one of your own. */
export interface ConnectionAuthenticator<A extends Caller> {
  /** A connection without a token is refused (4401); else it is anonymous. */
  requireAuth: boolean;
  /** Every operation needs this authentication of the user (RFC 9470; the plugin's `acr`). */
  acr?: StepUpRequirement;
  /** Verifies a token; BearerError when it cannot be trusted, IssuerUnavailableError when nobody can tell. */
  authenticate(token: string): Promise<Authenticated<A>>;
  /** Whether any token of this source can be checked for revocation (`isActive`). */
  revocable: boolean;
  /** Called once per refusal (a closed connection, a refused operation). */
  rejected?(error: BearerError | IssuerUnavailableError): void;
  /** Makes the caller readable from an operation's context value (getAuth). */
  bind?(contextValue: object, read: () => A | null): void;
}

export interface SubscriptionAuthOptions {
  /**
   * Every this many ms, the token of every open connection is checked at its issuer's
   * introspection endpoint, and a revoked one closes the connection (default: never). Needs
   * `introspection` in the plugin's options. An issuer that cannot be reached then is no
   * revocation: the connection stays until its token's `exp`.
   */
  revocationCheckInterval?: number;
  /** For tests: the clock the expiry is measured with (default Date.now). */
  now?: () => number;
}

/** What graphql-ws's `useServer` of `graphql-ws/use/ws` passes as `ctx.extra`. */
export interface WebSocketExtra {
  readonly socket: { close(code?: number, reason?: string): void; readonly readyState: number };
  readonly request: IncomingMessage;
}

/**
 * The parts of graphql-ws's server options and `Context` this helper uses, spelled here so that
 * graphql-ws stays an optional peer: a server without subscriptions compiles without it.
 */
export interface ConnectionContext<E extends WebSocketExtra = WebSocketExtra> {
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  readonly extra: E;
}

type Operation = (args: ExecutionArgs) => unknown;

/** Hooks as methods: graphql-ws's own option types (with its fuller `Context`) fit them. */
export interface SubscriptionServerOptions<E extends WebSocketExtra = WebSocketExtra> {
  schema?: unknown;
  context?: unknown;
  onConnect?(ctx: ConnectionContext<E>): unknown;
  onPing?(ctx: ConnectionContext<E>, payload?: Record<string, unknown>): unknown;
  onComplete?(ctx: ConnectionContext<E>, id: string, payload: unknown): unknown;
  onClose?(ctx: ConnectionContext<E>, code?: number, reason?: string): unknown;
  execute?(args: ExecutionArgs): unknown;
  subscribe?(args: ExecutionArgs): unknown;
}

interface Connection<A> {
  current: Authenticated<A> | null;
  /** The token's expiry, and revocation, timers. */
  expiry?: NodeJS.Timeout;
  revocation?: NodeJS.Timeout;
  checking: boolean;
  /** Renewals in order: only the newest one counts. */
  renewals: number;
  /** The directives of every running operation, by id: a renewed token must still meet them. */
  operations: Map<string, Requirements>;
  closed: boolean;
  /** Closes the socket and ends the connection. */
  close(code: number, reason: string): void;
  /** Ends the connection: no timer of it fires any more. */
  end(): void;
}

/** Longest delay a Node timer takes (about 24.8 days); a later `exp` re-arms. */
const MAX_TIMER = 2 ** 31 - 1;
/** `Authorization: DPoP …` on a WebSocket: refused, with the reason (see the module's comment). */
const DPOP_SCHEME = /^\s*dpop(\s|$)/i;
const dpopRefused = () => new BearerError('invalid_request', 'DPoP-bound tokens cannot be used over a WebSocket; use a bearer token');

/** Close reasons are at most 123 bytes (RFC 6455 §5.5.1). */
const reason = (text: string) => (Buffer.byteLength(text) <= 123 ? text : 'Unauthorized');

const connections = new WeakMap<object, Connection<never>>();
const operationsOf = new WeakMap<object, Connection<never>>();

/** The caller of a connection (the `ctx` of graphql-ws's hooks); null when anonymous. */
export function connectionAuth<A>(ctx: object): A | null {
  return ((connections.get(ctx) as Connection<A> | undefined)?.current?.auth as A | undefined) ?? null;
}

/**
 * The options of graphql-ws's `useServer`, with every connection authenticated by `source` (a
 * `jwtOidcPlugin`, sharing its issuer, caches, `requireAuth` and reports). Your own hooks and
 * `context` still run; `context` must be an object per operation (a function returning one, or
 * an object, which is then copied per operation).
 */
export function withSubscriptionAuth<O extends SubscriptionServerOptions<any>, A extends Caller>(
  serverOptions: O,
  source: ConnectionAuthenticator<A> | { connections: ConnectionAuthenticator<A> },
  options: SubscriptionAuthOptions = {},
): O {
  type Ctx = ConnectionContext;
  const hooks = serverOptions as SubscriptionServerOptions & { context?: unknown };
  const authenticator = 'connections' in source ? source.connections : source;
  const now = options.now ?? Date.now;
  const demands: Demands = { requireAuth: authenticator.requireAuth, ...(authenticator.acr ? { acr: authenticator.acr } : {}), now };
  const interval = options.revocationCheckInterval;
  if (interval !== undefined) {
    if (!Number.isFinite(interval) || interval < 1000) throw new TypeError('revocationCheckInterval must be at least 1000 ms');
    if (!authenticator.revocable) throw new TypeError('revocationCheckInterval needs introspection: set the option introspection (RFC 7662) of the issuer');
  }
  const refuse = (conn: Connection<A>, code: number, e: BearerError | IssuerUnavailableError) => {
    authenticator.rejected?.(e);
    conn.close(code, reason(e instanceof BearerError ? e.description : 'Try Again Later'));
  };

  /** Verifies a token, closing the connection as its failure says. */
  const check = async (conn: Connection<A>, token: string): Promise<Authenticated<A> | undefined> => {
    try {
      return await authenticator.authenticate(token);
    } catch (e) {
      if (e instanceof BearerError) refuse(conn, CLOSE_UNAUTHORIZED, e);
      else if (e instanceof IssuerUnavailableError) refuse(conn, CLOSE_TRY_AGAIN_LATER, e);
      else throw e;
      return undefined;
    }
  };

  /** Takes `who` as the connection's caller, and closes it at the token's `exp`. */
  const adopt = (conn: Connection<A>, who: Authenticated<A>) => {
    conn.current = who;
    clearTimeout(conn.expiry);
    const arm = () => {
      if (conn.closed || who.expiresAt === undefined) return;
      const left = who.expiresAt - now();
      if (left <= 0) return refuse(conn, CLOSE_UNAUTHORIZED, new BearerError('invalid_token', 'the access token has expired'));
      conn.expiry = setTimeout(arm, Math.min(left, MAX_TIMER));
      conn.expiry.unref();
    };
    arm();
    if (interval !== undefined && !conn.revocation && !conn.closed) {
      conn.revocation = setInterval(() => void revocationCheck(conn), interval);
      conn.revocation.unref();
    }
  };

  const revocationCheck = async (conn: Connection<A>) => {
    const who = conn.current;
    if (conn.checking || conn.closed || !who?.isActive) return;
    conn.checking = true;
    try {
      const active = await who.isActive();
      // A renewal meanwhile brought another token: this answer is about the old one.
      if (!active && conn.current === who) refuse(conn, CLOSE_UNAUTHORIZED, new BearerError('invalid_token', 'the access token was revoked'));
    } catch {
      // The issuer cannot tell now: no evidence of a revocation; its `exp` still ends the connection.
    } finally {
      conn.checking = false;
    }
  };

  const connectionOf = (ctx: Ctx): Connection<A> => {
    let conn = connections.get(ctx) as Connection<A> | undefined;
    if (!conn) {
      const socket = ctx.extra.socket;
      conn = {
        current: null,
        checking: false,
        renewals: 0,
        operations: new Map(),
        closed: false,
        close(code, text) {
          this.end();
          socket.close(code, text);
        },
        end() {
          this.closed = true;
          clearTimeout(this.expiry);
          clearInterval(this.revocation);
        },
      };
      connections.set(ctx, conn as Connection<never>);
    }
    return conn;
  };

  /** A renewal in a `ping`: same principal, every running operation still allowed. */
  const renew = async (ctx: Ctx, authorization: unknown) => {
    const conn = connectionOf(ctx);
    const turn = ++conn.renewals;
    let token: string | undefined;
    try {
      if (typeof authorization === 'string' && DPOP_SCHEME.test(authorization)) throw dpopRefused();
      token = typeof authorization === 'string' ? bearerFromHeader(authorization) : undefined;
      if (token === undefined) throw new BearerError('invalid_token', 'the renewal carries no bearer token');
    } catch (e) {
      return refuse(conn, CLOSE_UNAUTHORIZED, e as BearerError);
    }
    const who = await check(conn, token);
    if (!who || conn.closed || turn !== conn.renewals) return;
    if (conn.current && conn.current.principal !== who.principal) {
      return refuse(conn, CLOSE_FORBIDDEN, new BearerError('invalid_token', 'the renewed token is for someone else'));
    }
    for (const needs of conn.operations.values()) {
      const missing = unmet(needs, who.auth, demands);
      if (missing) return refuse(conn, CLOSE_FORBIDDEN, missing);
    }
    adopt(conn, who);
  };

  /** An operation runs only if the connection's caller meets its directives; else it answers the error. */
  const guarded =
    (run: Operation) =>
    (args: ExecutionArgs): unknown => {
      const conn = operationsOf.get(args.contextValue as object) as Connection<A> | undefined;
      const needs = requirementsOf(args.schema, args.document, args.operationName);
      const missing = unmet(needs, conn?.current?.auth, demands);
      if (missing) {
        authenticator.rejected?.(missing);
        const { http: _, ...extensions } = toGraphQLError(missing, undefined).extensions;
        return { errors: [new GraphQLError(missing.code === 'insufficient_scope' ? 'the access token lacks a required scope' : missing.description, { extensions })] };
      }
      return run(args);
    };

  const userContext = hooks.context as ((...args: unknown[]) => unknown) | object | undefined;
  const wrapped: SubscriptionServerOptions & { context: unknown } = {
    async onConnect(ctx) {
      const conn = connectionOf(ctx);
      const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
      let token: string | undefined;
      try {
        if (tokenInQuery(new URL(ctx.extra.request.url ?? '/', 'http://x').search)) {
          conn.close(CLOSE_BAD_REQUEST, 'send the access token in connection_init, never in the URL');
          return false;
        }
        const given = params.authorization ?? params.Authorization;
        const header = ctx.extra.request.headers.authorization;
        if ((typeof given === 'string' && DPOP_SCHEME.test(given)) || (given === undefined && header !== undefined && DPOP_SCHEME.test(header))) throw dpopRefused();
        token = given !== undefined ? (typeof given === 'string' ? bearerFromHeader(given) : undefined) : bearerFromHeader(ctx.extra.request.headers.authorization);
        if (given !== undefined && token === undefined) throw new BearerError('invalid_request', 'authorization must be "Bearer <token>"');
      } catch (e) {
        refuse(conn, CLOSE_UNAUTHORIZED, e as BearerError);
        return false;
      }
      if (token === undefined) {
        if (authenticator.requireAuth) {
          refuse(conn, CLOSE_UNAUTHORIZED, new BearerError('missing', 'authentication is required'));
          return false;
        }
      } else {
        const who = await check(conn, token);
        if (!who) return false;
        // The socket may have gone while the token was checked: nothing to time then.
        if (conn.closed || ctx.extra.socket.readyState !== 1) return false;
        adopt(conn, who);
      }
      return hooks.onConnect ? hooks.onConnect(ctx) : true;
    },
    async onPing(ctx, payload) {
      if (payload && typeof payload === 'object' && ('authorization' in payload || 'Authorization' in payload)) {
        await renew(ctx, payload.authorization ?? payload.Authorization);
      }
      await hooks.onPing?.(ctx, payload);
    },
    async context(ctx: Ctx, id: string, payload: unknown, args: ExecutionArgs) {
      const given = typeof userContext === 'function' ? await userContext(ctx, id, payload, args) : userContext;
      if (given !== undefined && (typeof given !== 'object' || given === null)) throw new TypeError('withSubscriptionAuth: the context must be an object');
      const value: object = typeof userContext === 'function' && given ? given : { ...(given ?? {}) };
      const conn = connectionOf(ctx);
      conn.operations.set(id, requirementsOf(args.schema, args.document, args.operationName));
      operationsOf.set(value, conn as Connection<never>);
      authenticator.bind?.(value, () => conn.current?.auth ?? null);
      return value;
    },
    execute: guarded(hooks.execute ?? (graphqlExecute as Operation)),
    subscribe: guarded(hooks.subscribe ?? (graphqlSubscribe as Operation)),
    async onComplete(ctx, id, payload) {
      connections.get(ctx)?.operations.delete(id);
      await hooks.onComplete?.(ctx, id, payload);
    },
    async onClose(ctx, code, text) {
      connections.get(ctx)?.end();
      await hooks.onClose?.(ctx, code, text);
    },
  };
  return { ...serverOptions, ...wrapped } as O;
}
