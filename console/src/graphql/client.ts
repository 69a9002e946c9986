/**
 * The console's GraphQL client (urql): queries and mutations over HTTP with the access token,
 * subscriptions over graphql-ws with the token in `connection_init` (docs/CONSOLE.md). A 401
 * renews the token once and retries; a session that cannot be renewed surfaces as
 * SessionExpired, which the shell turns into the "sign in again" dialog.
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import type { Auth } from '../auth/session';
import { webSocketUrl } from '../config';
import { socketStatus } from './socket-status';

export function consoleClient(auth: Auth): Client {
  const ws = createWsClient({
    url: webSocketUrl(auth.config.graphql),
    lazy: true,
    retryAttempts: 5,
    connectionParams: async () => ({ authorization: `Bearer ${await auth.accessToken()}` }),
    on: {
      connecting: () => socketStatus.on('connecting'),
      connected: () => socketStatus.on('connected'),
      closed: (event) => socketStatus.on('closed', (event as { code?: number } | undefined)?.code),
    },
  });
  return new Client({
    url: auth.config.graphql,
    requestPolicy: 'cache-and-network',
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
    fetch: async (input, init) => {
      const send = async (token: string) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      const answer = await send(await auth.accessToken());
      if (answer.status !== 401) return answer;
      return send((await auth.refresh()).accessToken);
    },
  });
}
