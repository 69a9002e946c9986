/**
 * Domain errors as GraphQL errors with client-safe codes: invalid input is BAD_USER_INPUT
 * naming the field, an unknown id is NOT_FOUND. Anything else passes through to the masking of
 * errors.ts (INTERNAL_SERVER_ERROR, details in the log).
 */
import { GraphQLError } from 'graphql';
import { ClientError } from '../clients/client-service.js';
import { UserError } from '../users/user-service.js';
import { ResourceError } from '../provider/stores/resource-store.js';

export function notFound(what: string): GraphQLError {
  return new GraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });
}

export async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UserError || e instanceof ClientError || e instanceof ResourceError) {
      if (e.code.endsWith('NOT_FOUND')) throw new GraphQLError(e.message, { extensions: { code: 'NOT_FOUND' } });
      throw new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', field: e.field } });
    }
    throw e;
  }
}
