/** The GraphQL schema, built from the type-graphql resolvers; `schema/schema.graphql` is its SDL. */
import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { ClientAdminResolver, UserAdminResolver } from './admin-resolver.js';
import { ResourceAdminResolver } from './resource-resolver.js';
import { DelegatedLoginResolver } from './delegated-login-resolver.js';
import { authChecker } from './auth.js';
import { GrantAdminResolver, KeyAdminResolver } from './grants-resolver.js';
import { MeResolver } from './me-resolver.js';
import { AccountResolver } from './account-resolver.js';
import { FactorAdminResolver, FactorResolver, UserFactorsResolver } from './factor-resolver.js';
import { PasskeyResolver } from './passkey-resolver.js';
import { ServerInfoResolver } from './server-info.js';
import { AuditEventsResolver } from './audit-events-resolver.js';
import { OverviewResolver } from './overview-resolver.js';
import { InvitationResolver } from './invitation-resolver.js';

export const RESOLVERS = [ServerInfoResolver, MeResolver, AccountResolver, FactorResolver, PasskeyResolver, UserAdminResolver, UserFactorsResolver, FactorAdminResolver, InvitationResolver, ClientAdminResolver, ResourceAdminResolver, GrantAdminResolver, KeyAdminResolver, DelegatedLoginResolver, AuditEventsResolver, OverviewResolver] as const;

let built: Promise<GraphQLSchema> | undefined;

/**
 * type-graphql insists on a PubSub once a schema has subscriptions, though ours bring their own
 * `subscribe` (audit-events-resolver.ts) and never name a topic: this one says so if ever used.
 */
const noTopics: PubSub = {
  publish: () => {
    throw new Error('subscriptions here have their own subscribe functions; there are no topics');
  },
  subscribe: () => {
    throw new Error('subscriptions here have their own subscribe functions; there are no topics');
  },
};

/** Built once per process; the schema is immutable. */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...RESOLVERS], validate: false, authChecker, authMode: 'error', pubSub: noTopics }).then((schema) => {
    // type-graphql has no option for the root types' descriptions.
    schema.getQueryType()!.description = 'Reading: the caller (`me`), public facts, and administration (admin scope).';
    schema.getMutationType()!.description = 'Changing: the caller\'s profile and account (sessions, connected apps, password), and administration (admin scope).';
    schema.getSubscriptionType()!.description = 'Watching, over WebSocket (graphql-transport-ws) at /graphql with a bearer token: the audit events (admin scope).';
    return schema;
  });
  return built;
}

/**
 * The schema as HTTP serves it: without the subscription root, which only the WebSocket server
 * (subscription-server.ts) serves. graphql-js 16's SingleFieldSubscriptionsRule throws, rather
 * than reports, on a subscription whose root field has `@include(if: $var)`, and Apollo Server
 * answers a throwing validation with a 500; without the root, such a document is simply invalid.
 */
export function withoutSubscriptions(schema: GraphQLSchema): GraphQLSchema {
  return new GraphQLSchema({ ...schema.toConfig(), subscription: undefined });
}

/** The SDL as committed in `schema/schema.graphql`: sorted, so diffs show real changes only. */
export async function printedSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await graphqlSchema()))}\n`;
}
