/**
 * The state of the console's WebSocket to /graphql (graphql-ws), for pages with live updates: a
 * dropped connection is shown at once, while graphql-ws retries, not after its last retry.
 */
import { useSyncExternalStore } from 'react';

export type SocketStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** The next state after a graphql-ws event; `code` is the close code of a `closed` event. */
export function nextStatus(current: SocketStatus, event: 'connecting' | 'connected' | 'closed', code?: number): SocketStatus {
  if (event === 'connected') return 'connected';
  if (event === 'connecting') return current === 'reconnecting' || current === 'connected' ? 'reconnecting' : 'connecting';
  // 1000: closed on purpose (no subscription left, RFC 6455 §7.4.1); anything else is a drop that graphql-ws retries.
  return code === 1000 ? 'idle' : 'reconnecting';
}

export class SocketStatusStore {
  private status: SocketStatus = 'idle';
  private listeners = new Set<() => void>();

  readonly get = (): SocketStatus => this.status;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  on(event: 'connecting' | 'connected' | 'closed', code?: number): void {
    const next = nextStatus(this.status, event, code);
    if (next === this.status) return;
    this.status = next;
    for (const l of this.listeners) l();
  }
}

/** The one store of the page's client (console/src/graphql/client.ts). */
export const socketStatus = new SocketStatusStore();

export function useSocketStatus(): SocketStatus {
  return useSyncExternalStore(socketStatus.subscribe, socketStatus.get);
}
