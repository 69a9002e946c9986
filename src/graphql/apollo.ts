/**
 * The Apollo Server of `/graphql`, hardened from the start (docs/SECURITY.md section H):
 * depth, alias, cost, token and directive limits; CSRF prevention; no HTTP batching; no field
 * suggestions; masked errors; introspection only when enabled. Apollo 5 keys several of these to
 * NODE_ENV, so every one is set explicitly here. Apollo's own landing page (which loads its
 * sandbox from a CDN) is always off: browsers get GraphiQL from this package (src/http/graphiql.ts).
 */
import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { BREAK, GraphQLError, visit, type ASTVisitor, type DocumentNode, type GraphQLSchema, type ValidationContext } from 'graphql';
import type { GraphQLContext } from './context.js';
import type { Clock } from '../clock.js';
import { maskError, serviceUnavailable } from './errors.js';
import { rateLimitPlugin } from './rate-limit.js';
import { QUERY_LIMITS, queryLimitRules } from './query-limits.js';
import { auditMutationsPlugin } from './audit-plugin.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  httpServer: Server;
  /** Introspection (the GraphiQL page of src/http/graphiql.ts goes with it). */
  introspection: boolean;
  /** How long in-flight requests may run on shutdown before connections are cut (default 10 s). */
  stopGracePeriodMillis?: number;
  /** Root fields per minute per caller (0: no limit). */
  rateLimit: number;
  clock: Clock;
}

/** Limits against abusive queries (docs/SECURITY.md GQ-03, GQ-04, GQ-07): see query-limits.ts. */
export { QUERY_LIMITS };

export function createApollo(options: ApolloOptions): ApolloServer<GraphQLContext> {
  const limits = queryLimitRules();

  return new ApolloServer<GraphQLContext>({
    schema: options.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    hideSchemaDetailsFromClientErrors: true,
    includeStacktraceInErrorResponses: false,
    // We stop Apollo ourselves, after the HTTP server drained and before the database closes.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: [...limits.validationRules, knownOperationTypes],
    formatError: maskError,
    plugins: [
      // graphql-armor's typings resolve Apollo's CommonJS declarations; the objects are the same.
      ...(limits.plugins as ApolloServerPlugin<GraphQLContext>[]),
      ApolloServerPluginDrainHttpServer({
        httpServer: options.httpServer,
        stopGracePeriodMillis: options.stopGracePeriodMillis ?? 10_000,
      }),
      ApolloServerPluginLandingPageDisabled(),
      rateLimitPlugin({ perMinute: options.rateLimit, clock: options.clock }),
      logUnexpectedErrors(),
      unavailableStatus(),
      auditMutationsPlugin(),
      storableText(),
    ],
  });
}

/**
 * An operation whose type the schema lacks is invalid (GraphQL spec §5.2.1 "Operation Type
 * Existence"; graphql-js 16 has no rule for it and fails at execution).
 */
export function knownOperationTypes(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (context.getSchema().getRootType(node.operation)) return;
      // Over HTTP the schema has no subscription root: subscriptions are served over WebSocket.
      const message = node.operation === 'subscription' ? 'subscriptions go over WebSocket (graphql-transport-ws) at /graphql, not HTTP' : `this schema has no ${node.operation} operations`;
      context.reportError(new GraphQLError(message, { nodes: [node] }));
    },
  };
}

/** A NUL character, or half of a surrogate pair: text that PostgreSQL can neither store nor take as a parameter. */
const UNSTORABLE = /\u0000|\p{Cs}/u;

/**
 * String arguments and variables must be text PostgreSQL can take: a NUL character would
 * otherwise break the protocol message it travels in (an error that reads like a lost
 * connection) and jsonb refuses both. Refused before any resolver runs: 400 BAD_USER_INPUT.
 */
function storableText(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          if (!unstorableIn(request.variables) && !unstorableInDocument(document)) return;
          throw new GraphQLError('text must not contain NUL characters or unpaired surrogates', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
        },
      };
    },
  };
}

/** Apollo hands the same DocumentNode to every request with the same text: walk it once. */
const documentVerdicts = new WeakMap<DocumentNode, boolean>();

function unstorableInDocument(document: DocumentNode): boolean {
  let verdict = documentVerdicts.get(document);
  if (verdict === undefined) documentVerdicts.set(document, (verdict = walkForUnstorable(document)));
  return verdict;
}

function walkForUnstorable(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (!UNSTORABLE.test(node.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** Strings and keys anywhere in a JSON value, without recursion (variables may nest deeply). */
function unstorableIn(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (UNSTORABLE.test(key)) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/**
 * A request that failed because the database is unavailable gets the HTTP head of
 * `serviceUnavailable()` (errors.ts): an operation's errors reach `maskError` only after the
 * status is set, so their SERVICE_UNAVAILABLE code decides it here.
 */
function unavailableStatus(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          if (!response.body.singleResult.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          const { status, headers } = serviceUnavailable().extensions.http;
          response.http.status = status;
          for (const [name, value] of headers) response.http.headers.set(name, value);
        },
      };
    },
  };
}

/** Errors that `maskError` hides from the client are logged here, with the request id. */
function logUnexpectedErrors(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = error.originalError ?? error;
            if (maskError({ message: error.message, extensions: error.extensions }, error).extensions?.code !== 'INTERNAL_SERVER_ERROR') continue;
            contextValue.logger.error({ err: original, requestId: contextValue.requestId, path: error.path }, 'GraphQL operation failed');
          }
        },
      };
    },
  };
}
