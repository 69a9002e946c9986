/** The GraphQL schema, built from the type-graphql resolvers; `schema/schema.graphql` is its SDL. */
import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ServerInfoResolver } from './server-info.js';

export const RESOLVERS = [ServerInfoResolver] as const;

let built: Promise<GraphQLSchema> | undefined;

/** Built once per process; the schema is immutable. */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...RESOLVERS], validate: false });
  return built;
}

/** The SDL as committed in `schema/schema.graphql`: sorted, so diffs show real changes only. */
export async function printedSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await graphqlSchema()))}\n`;
}
