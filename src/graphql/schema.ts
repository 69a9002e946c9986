/** The GraphQL schema, built from the type-graphql resolvers; `schema/schema.graphql` is its SDL. */
import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ClientAdminResolver, UserAdminResolver } from './admin-resolver.js';
import { DelegatedLoginResolver } from './delegated-login-resolver.js';
import { authChecker } from './auth.js';
import { GrantAdminResolver, KeyAdminResolver } from './grants-resolver.js';
import { MeResolver } from './me-resolver.js';
import { ServerInfoResolver } from './server-info.js';

export const RESOLVERS = [ServerInfoResolver, MeResolver, UserAdminResolver, ClientAdminResolver, GrantAdminResolver, KeyAdminResolver, DelegatedLoginResolver] as const;

let built: Promise<GraphQLSchema> | undefined;

/** Built once per process; the schema is immutable. */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...RESOLVERS], validate: false, authChecker, authMode: 'error' }).then((schema) => {
    // type-graphql has no option for the root types' descriptions.
    schema.getQueryType()!.description = 'Reading: the caller (`me`), public facts, and administration (admin scope).';
    schema.getMutationType()!.description = 'Changing: the caller\'s profile, and administration (admin scope).';
    return schema;
  });
  return built;
}

/** The SDL as committed in `schema/schema.graphql`: sorted, so diffs show real changes only. */
export async function printedSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await graphqlSchema()))}\n`;
}
