/**
 * Sending fuzzed requests: with fetch (no automatic redirects), as raw bytes on a socket for what
 * fetch cannot send or read, and `probe`, which sends and checks a response against the
 * properties (checker.ts) and a rejection against ∅DB (database.ts). Also the statuses seen per
 * endpoint (FUZZ_STATS=1) and the cookies a response sets.
 */
import { connect } from 'node:net';
import { assertResponse, describe, type Observed, type Policy } from './checker.js';
import { diffSnapshots, type DbWatch, type TableDiff } from './database.js';

export interface FuzzRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Longer than any answer takes here; a request still open then was dropped by the server. */
const ANSWER_TIMEOUT_MS = 8_000;

/** Sends a request as a browser without automatic redirects would. */
export async function send(req: FuzzRequest): Promise<Observed> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers ?? {})) headers.append(k, v);
  const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers, body: hasBody ? (req.body as BodyInit) : undefined, redirect: 'manual', signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s (a request the server never answers)\n--- request\n${describe(req)}`);
    // Response headers beyond what fetch reads (a huge Location echoing a huge parameter): read them off the socket.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'UND_ERR_HEADERS_OVERFLOW') return sendRaw(req, hasBody);
    if (e instanceof TypeError && e.message === 'fetch failed' && !(cause?.code === 'UND_ERR_INVALID_ARG')) {
      throw new Error(`no answer: the server closed the connection or stopped (${cause?.code ?? cause?.message ?? e.message})\n--- request\n${describe(req)}`);
    }
    throw e;
  }
  const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
  return { status: res.status, headers: res.headers, body, url: req.url };
}

/** The same request as HTTP/1.1 bytes on a socket; the response parsed by hand. */
async function sendRaw(req: FuzzRequest, hasBody: boolean): Promise<Observed> {
  const url = new URL(req.url);
  const body = hasBody ? Buffer.from(req.body as string | Uint8Array) : Buffer.alloc(0);
  const lines = [`${req.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`, 'Connection: close'];
  const res = await rawExchange(Number(url.port), Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]), 10_000);
  if (!res) throw new Error(`no answer to ${req.method} ${req.url}`);
  return { status: res.status, headers: parseHeaders(res.headers), body: Buffer.from(res.body, 'latin1').toString('utf8'), url: req.url };
}

/** Bytes on a socket, the response's status line and body (for what fetch cannot send). */
export function rawExchange(port: number, request: Buffer, timeoutMs = 5_000): Promise<{ status: number; headers: string; body: string } | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    socket.on('connect', () => socket.end(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      if (!text) return resolve(undefined); // closed without an answer
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), headers: text.slice(0, split), body: split >= 0 ? text.slice(split + 4) : '' });
    }
  });
}

/** The headers of a raw response head (the status line first, as rawExchange returns it). */
export function parseHeaders(head: string): Headers {
  const headers = new Headers();
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    try {
      headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    } catch {
      // a header value fetch's Headers refuses: the status and body are still checked
    }
  }
  return headers;
}

/** The `name=value` pair of a cookie a response sets (not one it clears). */
export function cookieOf(res: Response | Observed, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair!.startsWith(`${name}=`) && !/max-age=0/i.test(line)) return pair!;
  }
  return undefined;
}

/** Statuses seen per method and path (printed with FUZZ_STATS=1: are requests getting deep?). */
const seen = new Map<string, Map<number, number>>();

export function record(req: Pick<FuzzRequest, 'method' | 'url'>, status: number): void {
  if (!process.env.FUZZ_STATS) return;
  let path = req.url;
  try {
    path = new URL(req.url).pathname.replace(/\/interaction\/[^/]+/, '/interaction/:uid');
  } catch {
    // keep the raw URL
  }
  const key = `${req.method} ${path.length > 60 ? `${path.slice(0, 60)}…` : path}`;
  const counts = seen.get(key) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  seen.set(key, counts);
}

/** With FUZZ_STATS=1: the statuses seen so far, per method and path. */
export function printStats(title: string): void {
  if (!process.env.FUZZ_STATS) return;
  const lines = [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([k, counts]) => `  ${k}: ${[...counts].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`).join(' ')}`);
  console.log(`${title}\n${lines.join('\n')}`);
  seen.clear();
}

export interface ProbeOptions {
  /** The service's database; when given, rejected requests must leave it unchanged. */
  db?: DbWatch;
  /** Writes that a rejection makes on purpose. */
  allowWrites?: (diffs: TableDiff[], res: Observed) => boolean;
}

/** Sends, checks the response, and for a 4xx (not 429) that the database was left alone. */
export async function probe(req: FuzzRequest, policy: Policy, options: ProbeOptions = {}): Promise<Observed> {
  const cutoff = new Date(Date.now() + 30_000);
  const before = options.db ? await options.db.snapshot(cutoff) : undefined;
  const res = await send(req);
  record(req, res.status);
  assertResponse(res, policy, req);
  if (options.db && before && res.status >= 400 && res.status < 500 && res.status !== 429) {
    const diffs = diffSnapshots(before, await options.db.snapshot(cutoff));
    if (diffs.length > 0 && !options.allowWrites?.(diffs, res)) {
      throw new Error(`a rejected request (${res.status}) changed the database:\n${describe(diffs)}\n--- request\n${describe(req)}\n--- response\n${res.body.slice(0, 800)}`);
    }
  }
  return res;
}
