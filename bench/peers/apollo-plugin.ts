/**
 * A resource server as a user of the library writes it: Apollo Server 5 with `jwtOidcPlugin`
 * imported by name from the built package ('@jwt-oidc/apollo', through its package.json
 * `exports`), and a `me` resolver returning the caller's `sub`.
 *
 * Env: ISSUER, AUDIENCE, and CACHE_SIZE (optional: the LRU of verified tokens; the cache-miss
 * scenario makes it smaller than its pool of tokens so that every request verifies a signature).
 */
import type * as ApolloEntry from '../../packages/apollo/src/index.js';
import { serve } from './standalone.js';

// Through a variable: type-checking must not need dist/ (built by `npm run bench` first); the
// types come from the sources the entry is built from.
const specifier = '@jwt-oidc/apollo';
const { authDirectivesTypeDefs, getAuth, jwtOidcPlugin } = (await import(specifier)) as typeof ApolloEntry;

const issuer = process.env.ISSUER;
const audience = process.env.AUDIENCE;
if (!issuer || !audience) throw new Error('ISSUER and AUDIENCE are required');
const cacheSize = process.env.CACHE_SIZE ? Number(process.env.CACHE_SIZE) : undefined;

await serve({
  typeDefs: `${authDirectivesTypeDefs}\ntype Query { me: String @authenticated }`,
  resolvers: { Query: { me: (_: unknown, __: unknown, ctx: object) => getAuth(ctx)!.sub } },
  plugins: [jwtOidcPlugin({ issuer, audience, allowInsecureRequests: true, ...(cacheSize ? { cacheSize } : {}) })],
});
