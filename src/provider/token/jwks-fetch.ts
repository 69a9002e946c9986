/**
 * Fetching a client's `jwks_uri` (RFC 7591 §2) without letting it point the provider at its own
 * network: the host name is resolved once, every address it resolves to must be public
 * (src/util/public-address.ts), and the connection goes to the address checked — no second
 * resolution, so no DNS-rebinding window (docs/SECURITY.md CA-06, CA-07). Loopback only with
 * JWKS_URI_ALLOW_LOOPBACK, for development; http only then, and only to loopback. No redirect
 * is followed; the whole exchange has a deadline (CA-09) and the body a size limit (CA-08).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { addressKind } from '../../util/public-address.js';

export type JwksLookup = (hostname: string) => Promise<LookupAddress[]>;

export interface JwksFetchOptions {
  allowLoopback: boolean;
  /** Deadline of the whole exchange: connection, headers and body (ms). */
  timeoutMs: number;
  /** The largest body accepted, in bytes. */
  maxBytes: number;
  /** Resolves a host name to all its addresses (default: the system resolver). */
  lookup?: JwksLookup;
}

export interface JwksResponse {
  body: unknown;
  headers: { cacheControl?: string; expires?: string; date?: string; age?: string };
}

/** Why a fetch failed: logged, never shown to the client beyond `invalid_client`. */
export class JwksFetchError extends Error {
  constructor(
    readonly reason: 'scheme' | 'address' | 'resolve' | 'timeout' | 'too-large' | 'status' | 'json' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'JwksFetchError';
  }
}

const systemLookup: JwksLookup = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export async function fetchJwks(uri: string, options: JwksFetchOptions): Promise<JwksResponse> {
  const url = new URL(uri);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new JwksFetchError('scheme', 'jwks_uri must be https');
  if (url.protocol === 'http:' && !options.allowLoopback) throw new JwksFetchError('scheme', 'jwks_uri must be https (http only on loopback with JWKS_URI_ALLOW_LOOPBACK)');
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const pinned = await resolvePinned(url, options, deadline);
  return get(url, pinned, options, deadline);
}

/** The one address to connect to, after every address of the name passed the check. */
async function resolvePinned(url: URL, options: JwksFetchOptions, deadline: AbortSignal): Promise<LookupAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    const aborted = new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(new JwksFetchError('timeout', 'resolving the jwks_uri host timed out')), { once: true }));
    try {
      addresses = await Promise.race([(options.lookup ?? systemLookup)(host), aborted]);
    } catch (e) {
      if (e instanceof JwksFetchError) throw e;
      throw new JwksFetchError('resolve', `cannot resolve ${host}`);
    }
  }
  if (addresses.length === 0) throw new JwksFetchError('resolve', `cannot resolve ${host}`);
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind === 'public' && url.protocol === 'https:') continue;
    if (kind === 'loopback' && options.allowLoopback) continue;
    throw new JwksFetchError(kind === 'public' ? 'scheme' : 'address', `jwks_uri host ${host} resolves to ${address}, which is not a public address`);
  }
  return addresses[0]!;
}

function get(url: URL, pinned: LookupAddress, options: JwksFetchOptions, deadline: AbortSignal): Promise<JwksResponse> {
  return new Promise((resolve, reject) => {
    const fail = (e: JwksFetchError) => {
      req.destroy();
      reject(e);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'jwt-oidc' },
        agent: false,
        // The connection goes to the address checked above, whatever the name resolves to now.
        lookup: (_hostname, opts, callback) => {
          if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
      },
      (res) => {
        if (res.statusCode !== 200) return fail(new JwksFetchError('status', `jwks_uri answered ${res.statusCode} (redirects are not followed)`));
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) return fail(new JwksFetchError('too-large', `the JWK Set is larger than ${options.maxBytes} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) fail(new JwksFetchError('too-large', `the JWK Set is larger than ${options.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          if (size > options.maxBytes) return;
          try {
            const h = res.headers;
            resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: { cacheControl: h['cache-control'], expires: h.expires, date: h.date, age: h.age } });
          } catch {
            reject(new JwksFetchError('json', 'the jwks_uri did not answer JSON'));
          }
        });
      },
    );
    // A server that answers slowly, headers or body, meets the same deadline.
    deadline.addEventListener('abort', () => fail(new JwksFetchError('timeout', `jwks_uri did not answer within ${options.timeoutMs} ms`)), { once: true });
    req.on('error', (e) => reject(deadline.aborted ? new JwksFetchError('timeout', `jwks_uri did not answer within ${options.timeoutMs} ms`) : e instanceof JwksFetchError ? e : new JwksFetchError('network', `jwks_uri: ${e.message}`)));
    if (deadline.aborted) fail(new JwksFetchError('timeout', `jwks_uri did not answer within ${options.timeoutMs} ms`));
    else req.end();
  });
}
