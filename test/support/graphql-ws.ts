/**
 * A GraphQL WebSocket client as users run one: graphql-ws's own `createClient` over `ws`, with
 * the token in connection_init or the upgrade's headers, the close event kept, and the raw socket
 * at hand to send a renewal in a `ping` (as @jwt-oidc/apollo's withSubscriptionAuth documents).
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsResult {
  data?: any;
  errors?: any[];
}

export interface WsSession {
  client: Client;
  /** The close event, once the socket closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Collects an operation's results (an error ends it as a result with `errors`). */
  subscribe(query: string): { results: WsResult[]; done: Promise<void>; stop(): void };
  /** Sends a fresh token in a `ping`. */
  renew(token: string): void;
}

export interface WsConnectOptions {
  /** Sent in connection_init as `{ authorization: "Bearer …" }`. */
  token?: string;
  /** connection_init's payload as given (instead of `token`). */
  params?: Record<string, unknown>;
  /** Headers of the upgrade request. */
  headers?: Record<string, string>;
}

export function connectWs(url: string, options: WsConnectOptions = {}): WsSession {
  let socket: WebSocket | undefined;
  let onClose!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClose = r));
  const headers = options.headers;
  const client = createClient({
    url,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    },
    connectionParams: options.params ?? (options.token ? { authorization: `Bearer ${options.token}` } : undefined),
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: {
      connected: (s) => (socket = s as WebSocket),
      closed: (e) => onClose({ code: (e as CloseEvent).code, reason: String((e as CloseEvent).reason) }),
    },
  });
  return {
    client,
    closed,
    subscribe(query) {
      const results: WsResult[] = [];
      let finish!: () => void;
      const done = new Promise<void>((r) => (finish = r));
      const stop = client.subscribe(
        { query },
        {
          next: (r) => void results.push(r as WsResult),
          error: (e) => {
            results.push({ errors: Array.isArray(e) ? e : [e] });
            finish();
          },
          complete: () => finish(),
        },
      );
      return { results, done, stop };
    },
    renew(token) {
      socket!.send(JSON.stringify({ type: 'ping', payload: { authorization: `Bearer ${token}` } }));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The close event within `ms`, or an error saying the socket is still open. */
export function closedWithin(s: Pick<WsSession, 'closed'>, ms: number): Promise<{ code: number; reason: string }> {
  return Promise.race([s.closed, sleep(ms).then(() => Promise.reject(new Error(`still open after ${ms} ms`)))]);
}

/** Waits for `seen()`, doing `act` between looks (a subscription listens a moment after it is sent). */
export async function until(what: string, seen: () => boolean, act: () => Promise<unknown> = async () => undefined, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!seen()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await act();
    await sleep(50);
  }
}
