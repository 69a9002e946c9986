/**
 * What both Apollo peers share, so that the only difference between them is the plugin: Apollo
 * Server 5 on its own standalone HTTP server, on loopback, announcing its URL on stdout.
 */
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

export async function serve(options: ApolloServerOptions<BaseContext>): Promise<void> {
  const server = new ApolloServer<BaseContext>(options);
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  console.log(JSON.stringify({ url: url.replace(/\/$/, '') }));
}
