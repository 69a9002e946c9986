/**
 * Rate limiting of the GraphQL API by what an operation does, not by HTTP requests: each root
 * field counts, every alias of it too, so a hundred aliased attempts in one request count a
 * hundred times (docs/SECURITY.md GQ-18; RFC 6819 §4.4.3.6). Per caller: the token's subject and
 * client, or the address of an anonymous caller. Checked in `didResolveOperation`, before any
 * resolver runs.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type SelectionSetNode, type FragmentDefinitionNode } from 'graphql';
import type { Clock } from '../clock.js';
import { FailureThrottle } from '../util/failure-throttle.js';
import type { GraphQLContext } from './context.js';

export interface RateLimitOptions {
  /** Root fields per minute per caller (0: no limit). */
  perMinute: number;
  clock: Clock;
}

export function rateLimitPlugin({ perMinute, clock }: RateLimitOptions): ApolloServerPlugin<GraphQLContext> {
  const counter = new FailureThrottle({ limit: Math.max(perMinute, 1), windowMs: 60_000, clock });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          if (perMinute === 0 || !operation) return;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          const fields = countRootFields(operation.selectionSet, fragments, new Set());
          const key = contextValue.auth ? `token:${contextValue.auth.clientId}:${contextValue.auth.sub}` : `address:${contextValue.ip}`;
          const cost = counter.retryAfter(key, fields);
          if (cost === Number.POSITIVE_INFINITY) {
            throw new GraphQLError(`this operation has ${fields} root fields, more than the ${perMinute} allowed per minute`, { extensions: { code: 'TOO_MANY_REQUESTS', http: { status: 429 } } });
          }
          const wait = cost;
          if (wait > 0) {
            contextValue.logger.warn({ event: 'graphql.rate_limited', key }, 'GraphQL rate limit reached');
            throw new GraphQLError(`too many requests: try again in ${wait} s`, {
              extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: wait, http: { status: 429, headers: new Map([['retry-after', String(wait)]]) } },
            });
          }
          counter.fail(key, fields);
        },
      };
    },
  };
}

/** Root fields of an operation, through fragments, `__typename` excluded. */
function countRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n += s.name.value === '__typename' ? 0 : 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countRootFields(s.selectionSet, fragments, seen);
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = fragments.get(s.name.value);
      if (fragment) n += countRootFields(fragment.selectionSet, fragments, seen);
    }
  }
  return n;
}
