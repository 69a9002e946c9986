/**
 * Trusting the tokens of an OpenID Provider from another server: the provider's metadata from
 * discovery (its issuer must equal the configured one byte for byte: OIDC Discovery §4.3), its
 * keys from the JWKS (refetched once on an unknown `kid`, at most once per cooldown: no
 * amplification from random kids, docs/SECURITY.md JW-20, JW-21), verified tokens kept in an LRU
 * that never outlives their `exp`, concurrent verifications of one token done once, and
 * userinfo fetched on demand and cached per token (`null` for a token that names no end-user:
 * see userinfo.ts).
 */
import { jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ExpiringLru } from './lru.js';
import { WELL_KNOWN } from './discovery.js';
import { createRemoteKeySet } from './remote-jwks.js';
import { BearerError, IssuerUnavailableError } from './errors.js';
import { ASYMMETRIC_ALGORITHMS } from './jws.js';
import { assertCompactJws, compactTokenVerifier, type VerifiedAccessToken } from './verifier.js';
import { fetchUserinfo, mayHaveUserinfo, type Userinfo } from './userinfo.js';
import { introspect, isOpaque, type IntrospectionOptions } from './introspection.js';
import { userAuthenticationOf, type UserAuthentication } from './step-up.js';
import { boundKeyThumbprint } from './dpop-binding.js';
import { bodyWithin } from './deadline.js';
import { dpopSupport, verifyCredentials, type CredentialsRequest, type DpopOptions, type DpopSupport, type RequestToken } from './dpop-request.js';

export interface RemoteIssuerOptions {
  /** The issuer; discovery is read from `<issuer>/.well-known/openid-configuration` unless `jwksUri` is given. */
  issuer: string;
  /** The JWKS URL, to skip discovery (then `userinfo()` is unavailable unless `userinfoEndpoint` is set). */
  jwksUri?: string;
  userinfoEndpoint?: string;
  /** This API: the token's `aud` must contain it (RFC 9068 §4). */
  audience: string | string[];
  /** Allowed algorithms (default: every asymmetric JWS algorithm; never `none` or HMAC). */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated (default 5). */
  clockTolerance?: number;
  /** Refuse tokens whose `exp - iat` exceeds this many seconds (default: no bound). */
  maxLifetime?: number;
  /**
   * Accept ID tokens (whose `aud` is the audience, e.g. your client id) as bearer tokens, as the
   * original did. Off by default: an ID token says who logged in, not what a caller may do.
   */
  acceptIdTokens?: boolean;
  /** Verified tokens kept (default 10 000). */
  cacheSize?: number;
  /** Least time between two JWKS fetches caused by tokens with an unknown `kid`, ms (default 30 000). */
  jwksCooldown?: number;
  /**
   * Longest time the JWKS is kept, ms (default 600 000). Within it, the provider's
   * `Cache-Control: max-age` decides: the set is refreshed in the background once older, so keys
   * the provider publishes ahead of a rotation are known before they sign.
   */
  jwksMaxAge?: number;
  /** Timeout of discovery, JWKS and userinfo requests, ms (default 5 000). */
  timeout?: number;
  /** For tests: an injected fetch (discovery, JWKS and userinfo) and clock. */
  fetch?: typeof fetch;
  now?: () => number;
  /** Also allow http (development against a local provider). */
  allowInsecureRequests?: boolean;
  /**
   * Opaque tokens (not JWTs) are checked at the provider's introspection endpoint (RFC 7662) as
   * this client (default: none; an opaque token is then refused). See introspection.ts.
   */
  introspection?: IntrospectionOptions;
  /** Longest time an introspection answer is kept, ms; never past the token's `exp` (default 60 000). */
  introspectionCacheTtl?: number;
  /**
   * Take DPoP-bound access tokens (RFC 9449) in `verifyRequest`: `Authorization: DPoP <token>`
   * with a `DPoP` proof for the request (see dpop-request.ts). Default: off; a bound token is
   * then refused (it is never taken as a plain bearer token, §7.2).
   */
  dpop?: DpopOptions;
}

/** Longest bearer token looked at; longer ones are refused before any parsing (docs/SECURITY.md JW-15). */
export const MAX_TOKEN_LENGTH = 8192;

export interface RemoteToken extends VerifiedAccessToken {
  /** The issuer whose configuration verified it (its `iss`). */
  issuer: string;
  /** The token is an ID token (only with `acceptIdTokens`). */
  idToken: boolean;
}

/**
 * The caller behind a verified token, as resolvers and route handlers see it; `acr`, `amr` and
 * `authTime` say how the user authenticated, when the token says it (step-up.ts, RFC 9470).
 */
export interface RemoteCaller extends UserAuthentication {
  /** The issuer of the token: with several trusted issuers (IssuerSet), which one. */
  issuer: string;
  sub: string;
  /** The client the token was issued to. */
  clientId: string;
  scopes: string[];
  /** The verified claims of the token. */
  claims: JWTPayload;
  /** Whether it is an ID token (only with `acceptIdTokens`). */
  idToken: boolean;
  /**
   * The provider's userinfo for this token (OIDC Core §5.3): fetched on first call, then cached
   * per token. `null` when the token names no end-user: its `scope` lacks `openid` (a
   * `client_credentials` token), it is an ID token, or the provider refuses it with 401
   * `invalid_token` / 403 `insufficient_scope`. Rejects with IssuerUnavailableError (503) when
   * the provider cannot be reached, and with an Error for any other failure.
   */
  userinfo(): Promise<Userinfo | null>;
}

interface Metadata {
  issuer: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  introspection_endpoint?: string;
}

/** What a resource server's middleware needs of a token source: RemoteIssuer, or IssuerSet for several. */
export interface TokenVerifier {
  /** Verifies a bearer token: BearerError (invalid_token) when it cannot be trusted, IssuerUnavailableError when its issuer cannot be reached. */
  verify(token: string): Promise<RemoteToken>;
  /** Verifies a request's credentials, Bearer or DPoP (RemoteIssuer.verifyRequest); undefined when it carries none. */
  verifyRequest?(request: CredentialsRequest): Promise<RequestToken | undefined>;
  /** DPoP as this source takes it (option `dpop`), for the challenges; undefined without DPoP. */
  readonly dpop?: DpopSupport;
  /** The caller behind a verified token. */
  caller(verified: RemoteToken): RemoteCaller;
  /** Whether the token's issuer can be asked if it is still active (introspection configured). */
  introspects?(verified: RemoteToken): boolean;
  /** Asks the issuer now whether a verified token is still active (RFC 7662): see RemoteIssuer.isActive. */
  isActive?(verified: RemoteToken): Promise<boolean>;
}

export class RemoteIssuer implements TokenVerifier {
  private metadata: Promise<Metadata> | undefined;
  private keys: JWTVerifyGetKey | undefined;
  private readonly verified: ExpiringLru<string, RemoteToken>;
  private readonly pending = new Map<string, Promise<RemoteToken>>();
  private readonly userinfos: ExpiringLru<string, Promise<Userinfo | null>>;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  /** DPoP as this issuer takes it (option `dpop`, with its defaults); undefined without DPoP. */
  readonly dpop: DpopSupport | undefined;

  constructor(private readonly options: RemoteIssuerOptions) {
    if (typeof options.issuer !== 'string' || !/^https?:\/\//.test(options.issuer)) throw new TypeError('issuer must be an http(s) URL');
    for (const [name, url] of [['issuer', options.issuer], ['jwksUri', options.jwksUri], ['userinfoEndpoint', options.userinfoEndpoint], ['introspection.endpoint', options.introspection?.endpoint]] as const) {
      if (url !== undefined && !options.allowInsecureRequests && !url.startsWith('https://')) throw new TypeError(`${name} must be https (set allowInsecureRequests for a local provider)`);
    }
    const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS;
    if (algorithms.some((a) => /^(none|HS\d+)$/i.test(a))) throw new TypeError('symmetric algorithms and "none" cannot verify tokens from a public key set');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.verified = new ExpiringLru(options.cacheSize ?? 10_000, this.now);
    this.userinfos = new ExpiringLru(options.cacheSize ?? 10_000, this.now);
    this.dpop = dpopSupport(options.dpop);
  }

  /** The provider's metadata (discovery once; retried on the next call after a failure). */
  discover(): Promise<Metadata> {
    if (this.options.jwksUri) return Promise.resolve({ issuer: this.options.issuer, jwks_uri: this.options.jwksUri, userinfo_endpoint: this.options.userinfoEndpoint });
    this.metadata ??= this.loadMetadata().catch((e) => {
      this.metadata = undefined;
      throw e;
    });
    return this.metadata;
  }

  private async loadMetadata(): Promise<Metadata> {
    const url = `${this.options.issuer.replace(/\/$/, '')}${WELL_KNOWN}`;
    const signal = AbortSignal.timeout(this.options.timeout ?? 5000);
    const res = await this.fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal });
    if (!res.ok) throw new Error(`discovery of ${this.options.issuer} failed: HTTP ${res.status}`);
    const meta = (await bodyWithin(res.json(), signal)) as Partial<Metadata>;
    if (meta.issuer !== this.options.issuer) throw new Error(`discovery of ${this.options.issuer} names another issuer: ${String(meta.issuer)}`);
    if (typeof meta.jwks_uri !== 'string') throw new Error(`discovery of ${this.options.issuer} has no jwks_uri`);
    // Keys, userinfo and introspection over plain http could be served by anyone on the path.
    for (const url of [meta.jwks_uri, meta.userinfo_endpoint, meta.introspection_endpoint]) {
      if (url !== undefined && !this.options.allowInsecureRequests && !String(url).startsWith('https://')) throw new Error(`discovery of ${this.options.issuer} names an http endpoint: ${String(url)}`);
    }
    return meta as Metadata;
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    const { jwks_uri } = await this.discover();
    const remote = createRemoteKeySet(new URL(jwks_uri), { cooldown: this.options.jwksCooldown ?? 30_000, timeout: this.options.timeout ?? 5000, maxCacheAge: this.options.jwksMaxAge, fetch: this.fetch, now: this.now });
    // No such key, or an unusable one, is about the token; a key set that cannot be fetched
    // (timeout, network, not 200, not a JWKS) is about the provider.
    const failed = (e: unknown): never => {
      if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys || e instanceof joseErrors.JOSENotSupported) throw e;
      throw new IssuerUnavailableError('the token issuer\'s keys cannot be fetched', { cause: e });
    };
    // A key the set has at hand comes back as it is, without a promise.
    this.keys = (header, token) => {
      try {
        const key = remote(header, token);
        return key instanceof Promise ? key.catch(failed) : key;
      } catch (e) {
        return failed(e);
      }
    };
    return this.keys;
  }

  /** The caller behind a verified token. */
  caller(v: RemoteToken): RemoteCaller {
    return { issuer: v.issuer, sub: v.sub, clientId: v.clientId, scopes: v.scopes, claims: v.claims, ...userAuthenticationOf(v.claims), idToken: v.idToken, userinfo: () => this.userinfo(v) };
  }

  /**
   * Verifies a bearer token; throws BearerError (invalid_token) when it cannot be trusted, and
   * IssuerUnavailableError when the provider cannot be reached to tell. A DPoP-bound token
   * (`cnf.jkt`) is refused here: it needs its proof, which only `verifyRequest` sees (RFC 9449 §7.2).
   */
  async verify(token: string): Promise<RemoteToken> {
    const verified = await this.verifyToken(token);
    if (boundKeyThumbprint(verified.claims) !== undefined) throw new BearerError('invalid_token', 'the access token is bound to a DPoP key; send it with the DPoP scheme and a proof');
    return verified;
  }

  /**
   * Verifies a request's credentials: `Authorization: Bearer <token>`, or (option `dpop`)
   * `Authorization: DPoP <token>` with its proof for this method and URL (RFC 9449 §7).
   * Undefined when the request carries no credentials; BearerError or IssuerUnavailableError as
   * `verify`, and `invalid_dpop_proof` / `use_dpop_nonce` for the proof. The verified token may
   * come from the cache; the proof is checked on every call.
   */
  verifyRequest(request: CredentialsRequest): Promise<RequestToken | undefined> {
    return verifyCredentials(request, (t) => this.verifyToken(t), this.dpop, this.now);
  }

  /**
   * Verifies the token itself (signature, issuer, audience, lifetime), whatever key it is bound
   * to: for callers that check the binding themselves (checkTokenBinding). Cached per token.
   */
  async verifyToken(token: string): Promise<RemoteToken> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    const running = this.pending.get(token);
    if (running) return running;
    const job = this.verifyUncached(token).finally(() => this.pending.delete(token));
    this.pending.set(token, job);
    return job;
  }

  private async verifyUncached(token: string): Promise<RemoteToken> {
    // Cheap checks first, before any request to the provider; one spelling per token, also on
    // the ID-token path (docs/SECURITY.md JW-11, JW-15).
    if (token.length > MAX_TOKEN_LENGTH) throw new BearerError('invalid_token', 'the access token is too long');
    if (this.options.introspection && isOpaque(token)) return this.verifyOpaque(token, this.options.introspection);
    assertCompactJws(token);
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch (e) {
      // The provider cannot be reached: nobody's token can be checked now.
      throw new IssuerUnavailableError(undefined, { cause: e });
    }

    let result: RemoteToken;
    try {
      const verified = await this.accessTokenVerifier(keys)(token);
      // Member by member: a spread of the verified token here cost more than the rest of this function.
      result = { token: verified.token, sub: verified.sub, clientId: verified.clientId, scopes: verified.scopes, claims: verified.claims, issuer: this.options.issuer, idToken: false };
    } catch (e) {
      if (!this.options.acceptIdTokens || !(e instanceof BearerError)) throw e;
      result = await this.verifyIdToken(token, keys);
    }
    const exp = typeof result.claims.exp === 'number' ? result.claims.exp * 1000 : 0;
    this.verified.set(token, result, exp);
    return result;
  }

  /** An opaque token by introspection; the answer kept until the token's `exp` or the TTL, whichever is first. */
  private async verifyOpaque(token: string, client: IntrospectionOptions): Promise<RemoteToken> {
    const answer = await this.introspectNow(token, client);
    const result: RemoteToken = { token, issuer: this.options.issuer, ...answer, idToken: false };
    const ttlEnd = this.now() + (this.options.introspectionCacheTtl ?? 60_000);
    const exp = typeof answer.claims.exp === 'number' ? Math.min(answer.claims.exp * 1000, ttlEnd) : ttlEnd;
    this.verified.set(token, result, exp);
    return result;
  }

  /** Whether this issuer's tokens can be asked about at its introspection endpoint (option `introspection`). */
  introspects(_verified?: RemoteToken): boolean {
    return this.options.introspection !== undefined;
  }

  /**
   * Asks the provider now, past every cache, whether a verified token (JWT or opaque) is still
   * active (RFC 7662 §2.2): false once it was revoked, and then it is forgotten here, so the next
   * `verify` of it asks again. IssuerUnavailableError when the provider cannot tell; a TypeError
   * without the option `introspection`. Long-lived uses of one token (a WebSocket) call it.
   */
  async isActive(verified: RemoteToken): Promise<boolean> {
    if (!this.options.introspection) throw new TypeError(`${this.options.issuer}: isActive needs the option introspection`);
    try {
      await this.introspectNow(verified.token, this.options.introspection);
      return true;
    } catch (e) {
      if (!(e instanceof BearerError)) throw e;
      this.verified.delete(verified.token);
      return false;
    }
  }

  private async introspectNow(token: string, client: IntrospectionOptions) {
    let endpoint = client.endpoint;
    if (!endpoint) {
      try {
        endpoint = (await this.discover()).introspection_endpoint;
      } catch (e) {
        throw new IssuerUnavailableError(undefined, { cause: e });
      }
      if (!endpoint) throw new Error(`${this.options.issuer} has no introspection endpoint: set introspection.endpoint`);
    }
    return introspect(token, {
      endpoint,
      client,
      issuer: this.options.issuer,
      audience: this.options.audience,
      fetch: this.fetch,
      timeout: this.options.timeout ?? 5000,
      clockTolerance: this.options.clockTolerance ?? 5,
      now: this.now,
    });
  }

  private verifier: ReturnType<typeof compactTokenVerifier> | undefined;
  /** verifyUncached has checked the length and the compact form already: the rest of createAccessTokenVerifier's checks. */
  private accessTokenVerifier(keys: JWTVerifyGetKey) {
    this.verifier ??= compactTokenVerifier({
      issuer: this.options.issuer,
      audience: this.options.audience,
      keys,
      algorithms: this.options.algorithms,
      clockTolerance: this.options.clockTolerance,
      maxLifetime: this.options.maxLifetime,
      now: this.now,
    });
    return this.verifier;
  }

  /** The original's behaviour, opt-in: an ID token for this audience as a bearer token. */
  private async verifyIdToken(token: string, keys: JWTVerifyGetKey): Promise<RemoteToken> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [...(this.options.algorithms ?? ASYMMETRIC_ALGORITHMS)],
        clockTolerance: this.options.clockTolerance ?? 5,
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: new Date(this.now()),
      });
      if (protectedHeader.typ !== undefined && !/^(application\/)?jwt$/i.test(protectedHeader.typ)) throw new BearerError('invalid_token', 'the token is invalid');
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      return { token, issuer: this.options.issuer, sub: payload.sub!, clientId: (payload.azp as string | undefined) ?? String(aud[0]), scopes: [], claims: payload, idToken: true };
    } catch (e) {
      if (e instanceof BearerError) throw e;
      throw new BearerError('invalid_token', e instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is invalid');
    }
  }

  /**
   * The provider's userinfo for a verified token, fetched once per token; `null` when the token
   * names no end-user (see RemoteCaller.userinfo and userinfo.ts). Its `sub` must be the token's
   * (OIDC Core §5.3.2; docs/SECURITY.md ID-07).
   */
  userinfo(verified: RemoteToken): Promise<Userinfo | null> {
    if (!mayHaveUserinfo(verified)) return Promise.resolve(null);
    const cached = this.userinfos.get(verified.token);
    if (cached) return cached;
    const job = this.requestUserinfo(verified);
    this.userinfos.set(verified.token, job, (verified.claims.exp ?? 0) * 1000);
    job.catch(() => this.userinfos.delete(verified.token)); // a failure is not remembered
    return job;
  }

  private async requestUserinfo(verified: RemoteToken): Promise<Userinfo | null> {
    let endpoint: string | undefined;
    try {
      endpoint = (await this.discover()).userinfo_endpoint;
    } catch (e) {
      throw new IssuerUnavailableError(undefined, { cause: e });
    }
    if (!endpoint) throw new Error('the provider has no userinfo endpoint');
    return fetchUserinfo(verified, { endpoint, fetch: this.fetch, timeout: this.options.timeout ?? 5000 });
  }
}
