/** The WebSocket's state as the live pages show it (console/src/graphql/socket-status.ts). */
import { describe, expect, it } from 'vitest';
import { nextStatus, SocketStatusStore } from '../src/graphql/socket-status';

describe('the socket status', () => {
  it('is connecting on the first try, reconnecting after a drop, until connected again', () => {
    expect(nextStatus('idle', 'connecting')).toBe('connecting');
    expect(nextStatus('connecting', 'connected')).toBe('connected');
    expect(nextStatus('connected', 'closed', 1006)).toBe('reconnecting');
    expect(nextStatus('reconnecting', 'connecting')).toBe('reconnecting');
    expect(nextStatus('reconnecting', 'connected')).toBe('connected');
  });

  it('is idle after a close on purpose (1000: nothing left to watch), and a later connection is a first one', () => {
    expect(nextStatus('connected', 'closed', 1000)).toBe('idle');
    expect(nextStatus('idle', 'connecting')).toBe('connecting');
    // The server's refusals (4401, 4403) are drops that graphql-ws may retry with a fresh token.
    expect(nextStatus('connected', 'closed', 4401)).toBe('reconnecting');
  });

  it('tells its listeners of changes only', () => {
    const store = new SocketStatusStore();
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.get()));
    store.on('connecting');
    store.on('connecting');
    store.on('connected');
    store.on('closed', 1006);
    store.on('connecting');
    store.on('connected');
    expect(seen).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });
});
