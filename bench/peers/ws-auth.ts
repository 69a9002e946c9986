/**
 * A subscription server as a user of the library writes it: graphql-ws's `useServer` options
 * wrapped by `withSubscriptionAuth` with a `jwtOidcPlugin` that requires a token, imported by name
 * from the built package ('@jwt-oidc/apollo', through its package.json `exports`). Every
 * connection's `connection_init` token is verified before the ack; a bad one closes with 4401.
 *
 * Env: ISSUER, AUDIENCE, and CACHE_SIZE (optional: the LRU of verified tokens; the cache-miss
 * scenario makes it smaller than its pool of tokens so that every connection verifies a signature).
 */
import type * as ApolloEntry from '../../packages/apollo/src/index.js';
import { schema, serveSubscriptions } from './ws-standalone.js';

// Through a variable: type-checking must not need dist/ (built by `npm run bench` first); the
// types come from the sources the entry is built from.
const specifier = '@jwt-oidc/apollo';
const { jwtOidcPlugin, withSubscriptionAuth } = (await import(specifier)) as typeof ApolloEntry;

const issuer = process.env.ISSUER;
const audience = process.env.AUDIENCE;
if (!issuer || !audience) throw new Error('ISSUER and AUDIENCE are required');
const cacheSize = process.env.CACHE_SIZE ? Number(process.env.CACHE_SIZE) : undefined;

const plugin = jwtOidcPlugin({ issuer, audience, allowInsecureRequests: true, requireAuth: true, ...(cacheSize ? { cacheSize } : {}) });
const options: Parameters<typeof serveSubscriptions>[0] = { schema };
await serveSubscriptions(withSubscriptionAuth(options, plugin));
