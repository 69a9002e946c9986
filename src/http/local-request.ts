/**
 * Whether a request comes from a browser on this very machine, as the first-run setup asks
 * (src/interaction/first-admin.ts): the connection's own address is a loopback one, the request
 * names a loopback host, and no proxy forwarded it. A reverse proxy on the same host connects
 * from loopback too, so any forwarding header — set by every common proxy — makes the request
 * not local, whatever `trust proxy` says; so does a public Host (DNS rebinding).
 */
import type { IncomingMessage } from 'node:http';

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d+)?$/i;
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip'];

export function isLocalRequest(req: IncomingMessage): boolean {
  if (!LOOPBACK_ADDRESS.test(req.socket.remoteAddress ?? '')) return false;
  if (!LOOPBACK_HOST.test(req.headers.host ?? '')) return false;
  return !FORWARDING.some((h) => req.headers[h] !== undefined);
}
