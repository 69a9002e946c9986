/**
 * Whether an error means "the database cannot be reached right now" (down, restarting, failing
 * over, out of connections) rather than "this request is wrong" or "this is a bug". Edges answer
 * those with 503 and `Retry-After` instead of 500: the client should simply try again.
 */

/** Seconds a client should wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER = 5;

/** SQLSTATE classes and codes of an unreachable server (PostgreSQL Appendix A). */
const SQLSTATES = /^(08...|57P0[123]|53300|53400)$/;
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * Texts of node-postgres, tarn (the pool) and knex when the connection is gone. knex reports a
 * `BEGIN` that failed on a dropped connection only as "Transaction query already complete" at
 * the transaction's first statement, without the cause (knex/knex#4709).
 */
const MESSAGES = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Knex: Timeout acquiring a connection|Connection ended unexpectedly|Transaction query already complete|the database system is (starting up|shutting down|in recovery mode)/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError, depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'ConnectionException') return true;
    if (typeof code === 'string' && (SQLSTATES.test(code) || NODE_CODES.has(code))) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}
