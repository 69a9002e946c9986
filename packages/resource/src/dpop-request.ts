/**
 * A request's credentials at a resource server, Bearer (RFC 6750) or DPoP (RFC 9449 §7): the
 * token from `Authorization`, verified (the LRU of verified tokens may answer), then its binding
 * checked for THIS request every time (checkTokenBinding): a proof is per request, so a cached
 * verification never stands in for one. What `RemoteIssuer.verifyRequest`, `IssuerSet` and the
 * Apollo and Express adapters share.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearerFromHeader, tokenInQuery } from './bearer.js';
import { BearerError } from './errors.js';
import { dpopFromHeaders, memoryDpopReplayCache, type DpopReplayCache, type VerifiedDpopProof } from './dpop.js';
import { boundKeyThumbprint, checkTokenBinding, tokenFromAuthorization, type PresentedToken } from './dpop-binding.js';
import { ASYMMETRIC_ALGORITHMS } from './jws.js';
import type { RemoteToken } from './remote.js';

/**
 * The server's DPoP nonces (RFC 9449 §9): `current()` is sent in `DPoP-Nonce` headers, and a
 * proof must carry a nonce that `accepts` takes. `dpopNonces()` makes stateless ones.
 */
export interface DpopNonces {
  /** The nonce to give clients now. */
  current(): string;
  /** Whether a proof's nonce is (still) good. */
  accepts(nonce: string): boolean | Promise<boolean>;
}

/** DPoP at a resource server: the option `dpop` of RemoteIssuer, IssuerSet and the adapters. */
export interface DpopOptions {
  /** Where proofs are remembered, each accepted once (default: memoryDpopReplayCache(), one per issuer or set; several instances need a shared one). */
  replay?: DpopReplayCache;
  /** Require a server nonce in every proof (§9; default: none required). */
  nonces?: DpopNonces;
  /** Proof algorithms accepted, and named in `algs` of the challenge (§7.1; default every asymmetric JWS algorithm). */
  algorithms?: readonly string[];
  /** How old a proof may be, in seconds (default 60). */
  maxAge?: number;
  /** Refuse plain bearer tokens: only DPoP-bound tokens with their proof (default false). */
  required?: boolean;
}

/** DPoP as a verifier applies it: the options with their defaults. */
export interface DpopSupport {
  replay: DpopReplayCache;
  nonces?: DpopNonces;
  algorithms: readonly string[];
  maxAge: number;
  required: boolean;
}

/** What the verification of a request's credentials needs of the request. */
export interface CredentialsRequest {
  /** The method, e.g. `GET` (`htm`). */
  method: string;
  /** The URL the client called, absolute, as it saw it (`htu`: behind a proxy, the public URL). */
  url: string;
  /** The `Authorization` header. */
  authorization?: string;
  /** Every `DPoP` header of the request (dpopFromHeaders). */
  dpop?: string | readonly string[];
}

/** A verified token and how the request presented it. */
export interface RequestToken extends RemoteToken {
  scheme: 'Bearer' | 'DPoP';
  /** The request's verified proof, for a DPoP-bound token. */
  proof?: VerifiedDpopProof;
}

export function dpopSupport(options: DpopOptions | undefined): DpopSupport | undefined {
  if (!options) return undefined;
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (algorithms.length === 0 || algorithms.some((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a))) throw new TypeError(`dpop.algorithms must be asymmetric JWS algorithms: ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  return { replay: options.replay ?? memoryDpopReplayCache(), ...(options.nonces ? { nonces: options.nonces } : {}), algorithms, maxAge: options.maxAge ?? 60, required: options.required ?? false };
}

/** The scheme of the request's credentials, or undefined when it names neither (for challenges). */
function presentedToken(authorization: string | undefined, dpop: DpopSupport | undefined): PresentedToken | undefined {
  // Without DPoP, `Authorization: DPoP …` is a scheme this API does not take: no credentials.
  if (dpop) return tokenFromAuthorization(authorization);
  const token = bearerFromHeader(authorization);
  return token === undefined ? undefined : { scheme: 'Bearer', token };
}

/**
 * The verified token of a request, undefined when it carries none; BearerError when it cannot be
 * trusted, with `scheme` set to the scheme it used. `verify` is the (cached) check of the token
 * itself; the binding is checked here, per request, always.
 */
export async function verifyCredentials(request: CredentialsRequest, verify: (token: string) => Promise<RemoteToken>, dpop: DpopSupport | undefined, now: () => number): Promise<RequestToken | undefined> {
  let presented: PresentedToken | undefined;
  try {
    if (tokenInQuery(searchOf(request.url))) throw new BearerError('invalid_request', 'send the access token in the Authorization header, never in the URL');
    presented = presentedToken(request.authorization, dpop);
    if (!presented) return undefined;
    if (dpop?.required && presented.scheme === 'Bearer') throw new BearerError('invalid_token', 'this API takes DPoP-bound access tokens only: send the token with the DPoP scheme and a proof');
    const verified = await verify(presented.token);
    if (!dpop) {
      if (boundKeyThumbprint(verified.claims) !== undefined) throw new BearerError('invalid_token', 'the access token is bound to a DPoP key, and this API does not take DPoP');
      return requestToken(verified, 'Bearer');
    }
    const proof = presented.scheme === 'DPoP' ? dpopFromHeaders(request.dpop) : undefined;
    const nonces = dpop.nonces;
    const bound = await checkTokenBinding(presented, verified.claims, proof, {
      method: request.method.toUpperCase(),
      url: request.url,
      replay: dpop.replay,
      algorithms: dpop.algorithms,
      maxAge: dpop.maxAge,
      now,
      ...(nonces ? { checkNonce: (n: string | undefined) => n !== undefined && nonces.accepts(n) } : {}),
    });
    if (dpop.required && !bound) throw new BearerError('invalid_token', 'this API takes DPoP-bound access tokens only');
    return requestToken(verified, presented.scheme, bound);
  } catch (e) {
    if (e instanceof BearerError && presented && e.scheme === undefined) e.scheme = presented.scheme;
    throw e;
  }
}

/** The token with its scheme, member by member: a spread of it costs several times more on every request. */
function requestToken(v: RemoteToken, scheme: RequestToken['scheme'], proof?: VerifiedDpopProof): RequestToken {
  const token: RequestToken = { token: v.token, sub: v.sub, clientId: v.clientId, scopes: v.scopes, claims: v.claims, issuer: v.issuer, idToken: v.idToken, scheme };
  if (proof) token.proof = proof;
  return token;
}

function searchOf(url: string): string {
  // A server's requests mostly come to one URL: the last one's answer, without parsing it again.
  if (url === lastUrl) return lastSearch;
  let search: string;
  try {
    search = new URL(url).search;
  } catch {
    throw new BearerError('invalid_request', 'the request URL is not absolute');
  }
  lastUrl = url;
  lastSearch = search;
  return search;
}

let lastUrl: string | undefined;
let lastSearch = '';

/**
 * Stateless nonces (RFC 9449 §9), the same on every instance that shares `secret`: an HMAC of
 * the current time window; a nonce of the current or the previous window is accepted, so one
 * handed out just before a window ends still works for a full `window`.
 */
export function dpopNonces(options: { secret?: string | Uint8Array; window?: number; now?: () => number } = {}): DpopNonces {
  const secret = options.secret ?? randomBytes(32);
  const windowMs = (options.window ?? 300) * 1000;
  if (!(windowMs >= 1000)) throw new TypeError('window must be at least 1 second');
  const now = options.now ?? Date.now;
  const nonceOf = (slot: number) => createHmac('sha256', secret).update(`dpop-nonce:${slot}`).digest('base64url');
  // Byte lengths, not string lengths: a nonce of non-ASCII characters is a client's to send.
  const same = (a: string, b: string) => {
    const given = Buffer.from(a);
    const expected = Buffer.from(b);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    current: () => nonceOf(Math.floor(now() / windowMs)),
    accepts(nonce) {
      const slot = Math.floor(now() / windowMs);
      return same(nonce, nonceOf(slot)) || same(nonce, nonceOf(slot - 1));
    },
  };
}

/**
 * The headers of a refusal (RFC 6750 §3, RFC 9449 §7.1): `WWW-Authenticate` with the Bearer
 * challenge, the DPoP one, or both (DPoP supported and not required); and a fresh `DPoP-Nonce`
 * on every 401 when nonces are required (§9: `use_dpop_nonce` must carry one; on other 401s it
 * spares the client a round trip).
 */
export function refusalHeaders(e: BearerError, options: { realm?: string; resourceMetadata?: string; dpop?: DpopSupport; scheme?: 'Bearer' | 'DPoP' }): Record<string, string> {
  const dpop = options.dpop;
  const headers: Record<string, string> = {
    'WWW-Authenticate': e.challenge(options.realm, options.resourceMetadata, dpop ? { algorithms: dpop.algorithms, bearer: !dpop.required, scheme: options.scheme ?? e.scheme } : undefined),
  };
  if (dpop?.nonces && e.status === 401) headers['DPoP-Nonce'] = dpop.nonces.current();
  return headers;
}

/**
 * An adapter's `publicUrl` option — where clients reach the API behind proxies, what their proofs'
 * `htu` names (RFC 9449 §4.3 step 9): an absolute http(s) URL without query or fragment.
 */
export function parsePublicUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`publicUrl must be an absolute URL: ${url}`);
  }
  if (!/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash) throw new TypeError(`publicUrl must be an http(s) URL without query or fragment: ${url}`);
  return parsed;
}
