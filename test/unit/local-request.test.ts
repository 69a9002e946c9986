/** Which requests the first-run setup takes as coming from this machine (src/http/local-request.ts). */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isLocalRequest } from '../../src/http/local-request.js';

const request = (remoteAddress: string, headers: Record<string, string>) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('isLocalRequest', () => {
  it('a loopback connection naming a loopback host, not forwarded', () => {
    for (const [address, host] of [
      ['127.0.0.1', 'localhost:3000'],
      ['127.0.0.1', '127.0.0.1:3000'],
      ['::1', '[::1]:3000'],
      ['::ffff:127.0.0.1', 'LOCALHOST'],
      ['127.8.9.10', 'localhost'],
    ]) {
      expect(isLocalRequest(request(address!, { host: host! })), `${address} ${host}`).toBe(true);
    }
  });

  it('not from elsewhere, not through a proxy, not for a public host name (DNS rebinding)', () => {
    expect(isLocalRequest(request('203.0.113.9', { host: 'localhost:3000' }))).toBe(false);
    expect(isLocalRequest(request('::ffff:10.0.0.1', { host: 'localhost' }))).toBe(false);
    expect(isLocalRequest(request('127.0.0.1', { host: 'id.example.com' }))).toBe(false);
    expect(isLocalRequest(request('127.0.0.1', { host: 'localhost.example.com' }))).toBe(false);
    expect(isLocalRequest(request('127.0.0.1', {}))).toBe(false);
    for (const header of ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via']) {
      expect(isLocalRequest(request('127.0.0.1', { host: 'localhost:3000', [header]: '203.0.113.9' })), header).toBe(false);
    }
  });
});
