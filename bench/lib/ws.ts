/**
 * One GraphQL-over-WebSocket connection as a client opens it (graphql-ws's `graphql-transport-ws`
 * protocol): upgrade, `connection_init`, wait for `connection_ack`, close. Used by the load
 * process for every timed connection, and by the scenarios' checks (which also run one
 * subscription, to prove the server behind the handshake answers operations).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export const PROTOCOL = 'graphql-transport-ws';

/** The `connection_init` message both sides of a pair get: token included (a bare server ignores it). */
export function connectionInit(token: string | undefined): string {
  return JSON.stringify({ type: 'connection_init', ...(token !== undefined ? { payload: { authorization: `Bearer ${token}` } } : {}) });
}

export interface Handshake {
  /** `ack`; else why not: `close <code>`, `message <type>`, `error`, `timeout`. */
  outcome: string;
  /** From the start of the upgrade to the ack (or to the refusal). */
  ms: number;
  /** Close reason or error message, for reports. */
  detail?: string;
  /** With `subscribe`: the payload of the operation's first `next`. */
  first?: unknown;
}

/**
 * Opens `url`, sends `init`, and closes (code 1000) once acknowledged — or once `subscribe`'s
 * first result arrived. Resolves when the socket is closed, so a caller that waits for it keeps
 * exactly its number of connections open, and the server's closing work falls within the run.
 */
export function handshake(url: string, init: string, o: { subscribe?: string; timeoutMs?: number } = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const started = performance.now();
    // perMessageDeflate off: the servers do not offer it either, and the client need not inflate.
    const ws = new WebSocket(url, PROTOCOL, { perMessageDeflate: false });
    let result: Handshake | undefined;
    const settle = (outcome: string, detail?: string) => {
      result ??= { outcome, ms: performance.now() - started, ...(detail ? { detail } : {}) };
    };
    const timer = setTimeout(() => {
      settle('timeout');
      ws.terminate();
    }, o.timeoutMs ?? 30_000);
    ws.on('open', () => ws.send(init));
    ws.on('message', (data: WebSocket.RawData) => {
      let msg: { type?: string; payload?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        msg = { type: 'invalid', payload: data.toString().slice(0, 200) };
      }
      if (msg.type === 'connection_ack' && !result) {
        if (o.subscribe) {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: o.subscribe } }));
          return;
        }
        settle('ack');
      } else if (msg.type === 'next' && o.subscribe && !result) {
        settle('ack');
        result!.first = msg.payload;
      } else settle(`message ${String(msg.type)}`, JSON.stringify(msg.payload ?? null).slice(0, 200));
      ws.close(1000);
    });
    ws.on('error', (e: Error) => settle('error', e.message));
    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      settle(`close ${code}`, reason.toString());
      resolve(result!);
    });
  });
}
