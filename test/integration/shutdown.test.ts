/**
 * Graceful shutdown: new connections are refused at once, a request in flight still gets its
 * answer, and a client that never finishes its request cannot hold the process past the grace
 * period.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';

const body = JSON.stringify({ query: '{ serverInfo { mode } }' });
const head = (port: number) =>
  `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

function open(port: number): Promise<Socket & { received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () => resolve(Object.assign(socket, { received: () => data, ended })));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown', () => {
  it('finishes a request in flight while refusing new connections', async () => {
    const server = await startTestServer({}, { stopGracePeriodMillis: 5_000 });
    const socket = await open(server.port);
    socket.write(head(server.port) + body.slice(0, 5)); // the request has begun, its body has not arrived
    await sleep(100);

    let stopped = false;
    const stopping = server.close().then(() => (stopped = true));
    await sleep(100);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(stopped).toBe(false);

    socket.end(body.slice(5));
    await socket.ended;
    expect(socket.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(socket.received()).toContain('{"data":{"serverInfo":{"mode":"provider"}}}');
    await stopping;
    expect(stopped).toBe(true);
  });

  it('cuts a request that never completes once the grace period is over', async () => {
    const server = await startTestServer({}, { stopGracePeriodMillis: 300 });
    const socket = await open(server.port);
    socket.write(head(server.port)); // and never the body
    await sleep(100);
    const started = Date.now();
    await server.close();
    await socket.ended;
    // Bounded by the grace period, not by the client: generous margin for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(socket.received()).not.toMatch(/200 OK/);
  });

  it('cuts a request in flight when hurried (a second stop request), and still stops in order', async () => {
    const server = await startTestServer({}, { stopGracePeriodMillis: 30_000 });
    const socket = await open(server.port);
    socket.write(head(server.port) + body.slice(0, 5)); // and the rest never comes
    await sleep(100);
    const started = Date.now();
    const stopping = server.close();
    await sleep(100);
    server.hurry();
    await stopping;
    await socket.ended;
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 30 s grace period
    expect(socket.received()).not.toMatch(/200 OK/);
  });

  it('closes idle keep-alive connections right away', async () => {
    const server = await startTestServer({}, { stopGracePeriodMillis: 30_000 });
    const socket = await open(server.port);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
    await sleep(100);
    expect(socket.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    const started = Date.now();
    await server.close();
    await socket.ended;
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 30 s grace period
  });
});
