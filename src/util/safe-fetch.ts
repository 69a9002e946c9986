/**
 * Fetching a URL a client named (a `jwks_uri`, a client ID metadata document) without letting it
 * point the provider at its own network: the host name is resolved once, every address it
 * resolves to must be public (src/util/public-address.ts), and the connection goes to the address
 * checked — no second resolution, so no DNS-rebinding window (docs/SECURITY.md CA-06, CA-07,
 * section Y). Loopback only when the caller allows it, for development. No redirect is followed;
 * the whole exchange has a deadline and the body a size limit. TLS trusts node's default CAs
 * plus NODE_EXTRA_CA_CERTS, as every other outgoing connection of the service.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { addressKind } from './public-address.js';

export type SafeLookup = (hostname: string) => Promise<LookupAddress[]>;

export interface SafeFetchOptions {
  /** Loopback addresses (127.0.0.0/8, ::1) are accepted: development only. */
  allowLoopback: boolean;
  /** With `allowLoopback`, plain http to loopback is accepted too (never to any other address). */
  httpOnLoopback?: boolean;
  /** Deadline of the whole exchange: resolution, connection, headers and body (ms). */
  timeoutMs: number;
  /** The largest body accepted, in bytes. */
  maxBytes: number;
  /** Resolves a host name to all its addresses (default: the system resolver). */
  lookup?: SafeLookup;
  /** The `Accept` header. */
  accept: string;
  /** What the URL is, for messages ("jwks_uri", "client_id"). */
  what: string;
  /** Tests only: a CA to trust besides the defaults (the service itself uses NODE_EXTRA_CA_CERTS). */
  testCa?: string;
}

export interface SafeResponse {
  body: unknown;
  headers: { cacheControl?: string; expires?: string; date?: string; age?: string };
}

export type SafeFetchReason = 'scheme' | 'address' | 'resolve' | 'timeout' | 'too-large' | 'status' | 'json' | 'network';

/** Why a fetch failed: logged, never shown to a client beyond a generic refusal. */
export class SafeFetchError extends Error {
  constructor(
    readonly reason: SafeFetchReason,
    message: string,
  ) {
    super(message);
    this.name = 'SafeFetchError';
  }
}

const systemLookup: SafeLookup = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** GETs `uri` and parses its JSON body, under the rules above. */
export async function safeFetchJson(uri: string, options: SafeFetchOptions): Promise<SafeResponse> {
  const url = new URL(uri);
  const httpOk = options.allowLoopback && options.httpOnLoopback === true;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SafeFetchError('scheme', `${options.what} must be https`);
  if (url.protocol === 'http:' && !httpOk) throw new SafeFetchError('scheme', `${options.what} must be https`);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const pinned = await resolvePinned(url, options, deadline);
  return get(url, pinned, options, deadline);
}

/** The one address to connect to, after every address of the name passed the check. */
async function resolvePinned(url: URL, options: SafeFetchOptions, deadline: AbortSignal): Promise<LookupAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    const aborted = new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(new SafeFetchError('timeout', `resolving the ${options.what} host timed out`)), { once: true }));
    try {
      addresses = await Promise.race([(options.lookup ?? systemLookup)(host), aborted]);
    } catch (e) {
      if (e instanceof SafeFetchError) throw e;
      throw new SafeFetchError('resolve', `cannot resolve ${host}`);
    }
  }
  if (addresses.length === 0) throw new SafeFetchError('resolve', `cannot resolve ${host}`);
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind === 'public' && url.protocol === 'https:') continue;
    if (kind === 'loopback' && options.allowLoopback) continue;
    throw new SafeFetchError(kind === 'public' ? 'scheme' : 'address', `${options.what} host ${host} resolves to ${address}, which is not a public address`);
  }
  return addresses[0]!;
}

function get(url: URL, pinned: LookupAddress, options: SafeFetchOptions, deadline: AbortSignal): Promise<SafeResponse> {
  const timeout = () => new SafeFetchError('timeout', `${options.what} did not answer within ${options.timeoutMs} ms`);
  const tooLarge = () => new SafeFetchError('too-large', `the ${options.what} document is larger than ${options.maxBytes} bytes`);
  return new Promise((resolve, reject) => {
    const fail = (e: SafeFetchError) => {
      req.destroy();
      reject(e);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'GET',
        headers: { accept: options.accept, 'user-agent': 'jwt-oidc' },
        agent: false,
        ...(options.testCa ? { ca: options.testCa } : {}),
        // The connection goes to the address checked above, whatever the name resolves to now.
        lookup: (_hostname, opts, callback) => {
          if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
      },
      (res) => {
        if (res.statusCode !== 200) return fail(new SafeFetchError('status', `${options.what} answered ${res.statusCode} (redirects are not followed)`));
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) return fail(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) fail(tooLarge());
          else chunks.push(chunk);
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          if (size > options.maxBytes) return;
          try {
            const h = res.headers;
            resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: { cacheControl: h['cache-control'], expires: h.expires, date: h.date, age: h.age } });
          } catch {
            reject(new SafeFetchError('json', `the ${options.what} did not answer JSON`));
          }
        });
      },
    );
    // A server that answers slowly, headers or body, meets the same deadline.
    deadline.addEventListener('abort', () => fail(timeout()), { once: true });
    req.on('error', (e) => reject(deadline.aborted ? timeout() : e instanceof SafeFetchError ? e : new SafeFetchError('network', `${options.what}: ${e.message}`)));
    if (deadline.aborted) fail(timeout());
    else req.end();
  });
}

/**
 * How long a response may be used (RFC 9111 §4.2.1: `Cache-Control: max-age` less `Age`, else
 * `Expires` − `Date`; `no-store`/`no-cache`: 0), within [floorMs, ceilingMs]; `defaultMs` without
 * any of them.
 */
export function cacheLifetime(headers: SafeResponse['headers'], bounds: { floorMs: number; ceilingMs: number; defaultMs: number }): number {
  const directives = (headers.cacheControl ?? '').toLowerCase();
  let ms: number | undefined;
  if (/(^|[\s,])(no-store|no-cache)\b/.test(directives)) ms = 0;
  else {
    const maxAge = /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(directives);
    if (maxAge) ms = Number(maxAge[1]) * 1000 - (Number(headers.age) || 0) * 1000;
    else if (headers.expires) {
      const expires = Date.parse(headers.expires);
      const date = headers.date ? Date.parse(headers.date) : NaN;
      if (!Number.isNaN(expires)) ms = expires - (Number.isNaN(date) ? Date.now() : date);
    }
  }
  return Math.min(Math.max(ms ?? bounds.defaultMs, bounds.floorMs), bounds.ceilingMs);
}
