/**
 * The peer of the plugin: a bare Apollo Server 5 answering the same `me` query without any
 * authentication. Its cost is the floor the plugin adds to.
 */
import { serve } from './standalone.js';

await serve({
  typeDefs: 'type Query { me: String }',
  resolvers: { Query: { me: () => 'anonymous' } },
});
