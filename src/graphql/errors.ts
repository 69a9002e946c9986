/**
 * The GraphQL edge of the error family: what a client may see. Errors we raise on purpose carry
 * a known `extensions.code` and pass; anything else (a database failure, a bug) becomes a generic
 * INTERNAL_SERVER_ERROR with no stack, SQL or driver text (docs/SECURITY.md GQ-16), and is logged
 * in full on the server instead.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DATABASE_RETRY_AFTER, isDatabaseUnavailable } from '../db/unavailable.js';
import { requestInputError } from './query-limits.js';

/** Codes whose messages are written for clients. */
export const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'TOO_MANY_REQUESTS',
  // An invitation the settings do not allow (src/graphql/invitation-resolver.ts).
  'INVITATIONS_DISABLED',
]);

/** Extension members a client may see besides `code`. */
const PUBLIC_EXTENSIONS = ['field', 'retryAfter', 'requiredScopes'] as const;

export function maskError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // The database is down or restarting: worth a retry, not a bug report.
  if (code === 'SERVICE_UNAVAILABLE' || isDatabaseUnavailable(error)) {
    const { message, extensions } = serviceUnavailable();
    return { message, locations: formatted.locations, path: formatted.path, extensions: { code: extensions.code, retryAfter: extensions.retryAfter } };
  }
  // A query refused for its shape or page size: BAD_USER_INPUT and our message (query-limits.ts).
  const input = requestInputError(formatted, error);
  if (input) return input;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code) && raisedOnPurpose(error)) {
    const extensions: Record<string, unknown> = { code };
    for (const key of PUBLIC_EXTENSIONS) {
      if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
    }
    // Apollo's own text advises how to turn introspection on; a client needs less.
    const introspection = formatted.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED';
    if (introspection) extensions.validationErrorCode = 'INTROSPECTION_DISABLED';
    const message = introspection ? 'GraphQL introspection is disabled on this server.' : formatted.message;
    return { message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // Apollo's own refusals of a request (a persisted query of another version, a hash that does
  // not match its query) come with an HTTP 4xx but no code: the client's mistake, not ours.
  if (clientRefusal(error)) {
    return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_REQUEST' } };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/**
 * Errors of the request pipeline (parsing, validation, variable coercion) have no path and are
 * written for clients. An error from a resolver passes only when it, and whatever it wraps, is a
 * GraphQLError: a driver error dressed with a client code is still an internal error.
 */
function raisedOnPurpose(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return !(error instanceof Error);
  if (error.path === undefined && error.originalError === undefined) return true;
  let cause: unknown = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  if (error.path === undefined) return true;
  return cause instanceof GraphQLError || !(cause instanceof Error);
}

function clientRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.path !== undefined || error.originalError !== undefined) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** A GraphQLError whose extensions say how to answer it: the client's part and the HTTP head. */
export interface ServiceUnavailable extends GraphQLError {
  readonly extensions: { code: 'SERVICE_UNAVAILABLE'; retryAfter: number; http: { status: number; headers: Map<string, string> } };
}

/**
 * The GraphQL edge's one answer while the database cannot be reached (src/db/unavailable.ts tells
 * when): SERVICE_UNAVAILABLE with `retryAfter` for the client, and HTTP 503 with `Retry-After`
 * (RFC 9110 §15.6.4, §10.2.3) so that clients and load balancers retry. Apollo Server answers an
 * error thrown while the context is built with its `extensions.http`; `maskError` and the status
 * plugin of apollo.ts give errors of operations the same answer.
 */
export function serviceUnavailable(): ServiceUnavailable {
  return new GraphQLError('The service is temporarily unavailable; try again shortly.', {
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: DATABASE_RETRY_AFTER, http: { status: 503, headers: new Map([['retry-after', String(DATABASE_RETRY_AFTER)]]) } },
  }) as ServiceUnavailable;
}
