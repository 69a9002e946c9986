/**
 * What both WebSocket peers share, so that the only difference between them is the token check:
 * the same tiny schema, and graphql-ws's `useServer` on a `ws` WebSocketServer attached to a plain
 * HTTP server on loopback (as a resource server mounts it beside its HTTP endpoint), announcing
 * its URL on stdout. The endpoint is `<url>/graphql`.
 */
import { createServer } from 'node:http';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { ServerOptions } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

/** `tick` counts from 0, one a second: a check's subscription gets 0 at once. */
async function* ticks(): AsyncGenerator<{ tick: number }> {
  for (let i = 0; ; i++) {
    yield { tick: i };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export const schema = makeExecutableSchema({
  typeDefs: 'type Query { hello: String } type Subscription { tick: Int }',
  resolvers: { Query: { hello: () => 'world' }, Subscription: { tick: { subscribe: ticks } } },
});

export async function serveSubscriptions(options: ServerOptions<Record<string, unknown> | undefined, Extra>): Promise<void> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const server = useServer(options, wss);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  process.on('SIGTERM', () => void Promise.resolve(server.dispose()).then(() => http.close(() => process.exit(0))));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
}
