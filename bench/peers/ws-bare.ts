/**
 * The peer of the subscription helper: graphql-ws over `ws` with no authentication at all. It
 * acknowledges every `connection_init` (the token in its payload is ignored): its cost per
 * connection is the floor the token check adds to.
 */
import { schema, serveSubscriptions } from './ws-standalone.js';

await serveSubscriptions({ schema });
