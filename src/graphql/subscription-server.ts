/**
 * GraphQL subscriptions at `/graphql` over WebSocket (graphql-ws's `graphql-transport-ws`
 * protocol), provider and fake modes. Connections are authenticated by `withSubscriptionAuth` of
 * @jwt-oidc/apollo with this provider's own tokens: a bearer token in `connection_init`'s
 * payload (`{ "authorization": "Bearer …" }`) or the upgrade's Authorization header, required;
 * closed with 4401 at the token's `exp` unless renewed in a `ping`, and at the next check once
 * revoked. Hardened as the HTTP edge is (docs/SECURITY.md section H):
 *
 *   - subscriptions only: queries and mutations go over HTTP, where rate limits, CSRF
 *     prevention and the mutation audit apply;
 *   - the same parse and validation limits as HTTP (token, depth, alias, cost, directive);
 *   - errors masked by the same `maskError`; a message at most MAX_MESSAGE (the size of the
 *     largest JSON body over HTTP); at most
 *     MAX_OPERATIONS running operations per connection;
 *   - cookies are never read, so a page of another origin that opens a socket (which a browser
 *     allows, with cookies) gains nothing (cross-site WebSocket hijacking).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectionAuth, withSubscriptionAuth, type ConnectionAuthenticator } from '@jwt-oidc/apollo';
import { BearerError } from '@jwt-oidc/resource';
import { GraphQLError, parse, specifiedRules, validate, type ASTVisitor, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema, type ValidationContext } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AuditStream } from '../audit-stream.js';
import type { Settings } from '../config/load.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import type { ProviderContext } from '../provider/context.js';
import { knownOperationTypes } from './apollo.js';
import { callerOf } from './auth.js';
import type { Auth, GraphQLContext } from './context.js';
import { maskError } from './errors.js';
import { QUERY_LIMITS, queryLimitRules } from './query-limits.js';

/** Running operations per connection, at most. */
export const MAX_OPERATIONS = 10;
/** Largest message accepted, bytes: as large as the largest JSON body over HTTP. */
const MAX_MESSAGE = 100 * 1024;

export interface SubscriptionServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  settings: Settings;
  db: Database;
  logger: Logger;
  provider: ProviderContext;
  auditStream: AuditStream;
}

export interface SubscriptionServer {
  /** Closes every connection (1001 "Going away") and stops accepting new ones. */
  stop(): Promise<void>;
}

export function serveSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { httpServer, schema, provider, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  const rules = [...specifiedRules, ...queryLimitRules().validationRules, knownOperationTypes, subscriptionsOnly];
  const serverOptions = withSubscriptionAuth(
    {
      schema,
      connectionInitWaitTimeout: 3000,
      onSubscribe(ctx: { subscriptions: Record<string, unknown> }, _id: string, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }): ExecutionArgs | readonly GraphQLError[] {
        // graphql-ws counts this operation already.
        if (Object.keys(ctx.subscriptions).length > MAX_OPERATIONS) {
          return [new GraphQLError(`at most ${MAX_OPERATIONS} operations may run on one connection`, { extensions: { code: 'TOO_MANY_REQUESTS' } })];
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: QUERY_LIMITS.maxTokens });
        } catch (e) {
          return [new GraphQLError(e instanceof Error ? e.message : 'the query cannot be parsed', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        let errors: readonly GraphQLError[];
        try {
          errors = validate(schema, document, rules);
        } catch (e) {
          // graphql-js 16 throws from SingleFieldSubscriptionsRule on `@include(if: $var)` at the root.
          if (!(e instanceof GraphQLError)) throw e;
          return [new GraphQLError(`${e.message} (directives with variables are not supported on a subscription's root field)`, { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        if (errors.length > 0) return errors.map((e) => (e.extensions.code ? e : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })));
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
      context(ctx: { extra: { request: IncomingMessage } }): GraphQLContext {
        const requestId = randomUUID();
        return {
          settings: options.settings,
          logger: logger.child({ requestId }),
          requestId,
          ip: ctx.extra.request.socket.remoteAddress ?? 'unknown',
          em: options.db.orm.em.fork() as GraphQLContext['em'],
          // The connection's caller now: a renewed token replaces it (withSubscriptionAuth).
          get auth() {
            return connectionAuth<Auth>(ctx);
          },
          provider,
          auditStream: options.auditStream,
        };
      },
      onNext(_ctx: unknown, _id: string, _payload: unknown, _args: unknown, result: { data?: unknown; errors?: readonly GraphQLError[] }) {
        return result.errors ? { ...result, errors: mask(result.errors, logger) } : undefined;
      },
      onError(_ctx: unknown, _id: string, _payload: unknown, errors: readonly GraphQLError[]): GraphQLFormattedError[] {
        return mask(errors, logger);
      },
    },
    serviceAuthenticator(provider, logger),
    { revocationCheckInterval: options.settings.graphqlSubscriptionRecheck * 1000, now: () => provider.clock.now() },
  );
  const cleanup = useServer(serverOptions as Parameters<typeof useServer>[0], wss);

  return {
    async stop() {
      httpServer.off('upgrade', onUpgrade);
      await cleanup.dispose();
    },
  };
}

/**
 * Our own access tokens, as /graphql over HTTP takes them (src/graphql/auth.ts). Who a connection
 * is includes whether it administers: a renewal may not turn an operator's stream over to
 * someone who is not one (nor the reverse).
 */
function serviceAuthenticator(provider: ProviderContext, logger: Logger): ConnectionAuthenticator<Auth> {
  const principal = (a: Auth) => JSON.stringify([a.sub, a.clientId, a.isAdmin]);
  return {
    requireAuth: true,
    revocable: true,
    async authenticate(token) {
      const auth = await callerOf(token, provider);
      const exp = auth.claims.exp;
      return {
        auth,
        expiresAt: typeof exp === 'number' ? exp * 1000 : undefined,
        principal: principal(auth),
        // Revoked grant or token, disabled user, lost admin rights: all end the connection.
        isActive: () =>
          callerOf(token, provider).then(
            (now) => principal(now) === principal(auth),
            (e: unknown) => {
              if (e instanceof BearerError) return false;
              throw e;
            },
          ),
      };
    },
    rejected: (e) => logger.info({ reason: e instanceof BearerError ? e.code : 'issuer_unavailable', description: e.message }, 'GraphQL WebSocket connection refused'),
  };
}

/** Over WebSocket, subscriptions only (see above). */
function subscriptionsOnly(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation !== 'subscription') {
        context.reportError(new GraphQLError(`send ${node.operation} operations with HTTP POST to /graphql; over WebSocket only subscriptions`, { nodes: [node], extensions: { code: 'BAD_USER_INPUT' } }));
      }
    },
  };
}

/** What a client may see of errors (maskError); the rest is logged. */
function mask(errors: readonly GraphQLError[], logger: Logger): GraphQLFormattedError[] {
  return errors.map((e) => {
    const masked = maskError(e.toJSON(), e);
    if (masked.extensions?.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: e.originalError ?? e, path: e.path }, 'GraphQL subscription failed');
    return masked;
  });
}
