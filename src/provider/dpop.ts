/**
 * DPoP (RFC 9449) at the provider: the proofs it takes at `/token`, `/par`, `/userinfo` and
 * `/graphql`, checked by @jwt-oidc/resource (`verifyDpopProof`, `checkTokenBinding`) with the
 * provider's policy — the accepted algorithms, the `iat` window (JWT_OIDC_DPOP_PROOF_MAX_AGE),
 * the proofs already seen (one table for every instance: stores/dpop-proof-store.ts) and, with
 * JWT_OIDC_DPOP_NONCE=required, its nonces (§8, §9).
 *
 * Nonces are stateless and the same on every instance: an HMAC, under a key derived from the key
 * encryption secret, of the number of the current time window; a proof's nonce is current when it
 * is that of this window or of the previous one, so a nonce handed out at the end of a window
 * still works for one more window.
 */
import { ASYMMETRIC_ALGORITHMS, BearerError, checkTokenBinding, dpopFromHeaders, dpopNonces, verifyDpopProof, type DpopNonces, type DpopReplayCache, type DpopRequestOptions, type PresentedToken, type VerifiedDpopProof } from '@jwt-oidc/resource';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/load.js';
import { OAuthError } from './errors.js';
import type { HttpResult, ProviderRequest } from './http-result.js';
import type { ProviderAccessToken } from './access-token.js';

/** How long a nonce window lasts: a nonce is accepted in its window and the next (5 to 10 minutes). */
export const DPOP_NONCE_WINDOW_MS = 5 * 60_000;

/** Seconds a proof's `iat` may lie ahead of the provider's clock, or its age beyond the setting. */
const CLOCK_TOLERANCE = 5;

/** The algorithms of proofs the provider checks (RFC 9449 §5.1 `dpop_signing_alg_values_supported`): every asymmetric JWS algorithm. */
export const DPOP_SIGNING_ALGS: readonly string[] = ASYMMETRIC_ALGORITHMS;

export class DpopPolicy {
  /** The stateless nonces of @jwt-oidc/resource, under the provider's key and clock. */
  private readonly nonces: DpopNonces;

  constructor(
    secret: Buffer,
    private readonly settings: Pick<Settings, 'dpopNonce' | 'dpopProofMaxAge'>,
    private readonly clock: Clock,
    private readonly replay: DpopReplayCache,
  ) {
    this.nonces = dpopNonces({ secret, window: DPOP_NONCE_WINDOW_MS / 1000, now: () => clock.now() });
  }

  /** JWT_OIDC_DPOP_NONCE=required: every proof must carry a current nonce. */
  get noncesRequired(): boolean {
    return this.settings.dpopNonce === 'required';
  }

  /** The nonce of the current window: what `DPoP-Nonce` hands out. */
  currentNonce(): string {
    return this.nonces.current();
  }

  /** Whether `nonce` is that of the current or of the previous window. */
  isCurrentNonce(nonce: string | undefined): boolean {
    return nonce !== undefined && this.nonces.accepts(nonce) === true;
  }

  /** The `DPoP-Nonce` header every response of a DPoP endpoint carries when nonces are required (§8.2, §9). */
  headers(): Record<string, string> {
    return this.noncesRequired ? { 'DPoP-Nonce': this.currentNonce() } : {};
  }

  /** `result` with `headers()` added. */
  withNonce(result: HttpResult): HttpResult {
    return this.noncesRequired ? { ...result, headers: { ...result.headers, ...this.headers() } } : result;
  }

  /** What checking a proof for `method` at `url` needs besides the token (checkTokenBinding's options). */
  requestOptions(method: string, url: string): DpopRequestOptions {
    return {
      method,
      url,
      replay: this.replay,
      algorithms: DPOP_SIGNING_ALGS,
      maxAge: this.settings.dpopProofMaxAge,
      clockTolerance: CLOCK_TOLERANCE,
      now: () => this.clock.now(),
      ...(this.noncesRequired ? { checkNonce: (n: string | undefined) => this.isCurrentNonce(n) } : {}),
    };
  }

  /**
   * The verified proof of a request to the authorization server (`/token`, `/par`), undefined
   * when it has none. A bad proof is `invalid_dpop_proof`, a missing or stale nonce
   * `use_dpop_nonce`, both 400 there (§5, §8).
   */
  async proofAt(req: ProviderRequest, url: string): Promise<VerifiedDpopProof | undefined> {
    try {
      const proof = dpopFromHeaders(req.header('dpop'));
      if (proof === undefined) return undefined;
      return await verifyDpopProof(proof, this.requestOptions('POST', url));
    } catch (e) {
      if (e instanceof BearerError && (e.code === 'invalid_dpop_proof' || e.code === 'use_dpop_nonce')) throw new OAuthError(e.code, e.description);
      throw e;
    }
  }
}

/**
 * The `WWW-Authenticate` of a resource-server refusal at the provider's own endpoints (RFC 9449
 * §7.1), written by @jwt-oidc/resource as for any API: a DPoP challenge (with `algs`) for a
 * request or token of the DPoP scheme, a Bearer one (RFC 6750 §3) for a bearer token; without
 * credentials both, so that a client learns either scheme is accepted.
 */
export function resourceChallenge(e: BearerError, scheme: 'Bearer' | 'DPoP' | undefined, realm: string, resourceMetadata?: string): string {
  if (e.code !== 'missing' && scheme === 'Bearer') return e.challenge(realm, resourceMetadata);
  return e.challenge(realm, resourceMetadata, { algorithms: DPOP_SIGNING_ALGS, bearer: e.code === 'missing' || scheme === undefined });
}

/**
 * One of our access tokens, verified and presented as its binding demands (RFC 9449 §7): a token
 * bound to a DPoP key only with the DPoP scheme and a proof of that key for this request (`htu`
 * is `url`), a bearer token only as one.
 */
export async function boundAccessToken(ctx: { verifyAccessToken(token: string): Promise<ProviderAccessToken>; dpop: DpopPolicy }, req: Pick<ProviderRequest, 'method' | 'header'>, presented: PresentedToken, url: string): Promise<ProviderAccessToken> {
  const verified = await ctx.verifyAccessToken(presented.token);
  try {
    await checkTokenBinding(presented, verified.claims, dpopFromHeaders(req.header('dpop')), ctx.dpop.requestOptions(req.method, url));
  } catch (e) {
    // The refusal of a bound token is answered with a DPoP challenge, whatever scheme it came with.
    if (e instanceof BearerError && verified.claims.cnf !== undefined) e.scheme = 'DPoP';
    throw e;
  }
  return verified;
}

/**
 * The scheme of the challenge (RFC 9449 §7.1): DPoP for a request of that scheme, a refused
 * proof, or a bound token sent as a bearer one; Bearer for other bearer failures; both when
 * no token came.
 */
export function challengeScheme(presented: PresentedToken | undefined, e: unknown): 'Bearer' | 'DPoP' | undefined {
  if (!(e instanceof BearerError) || e.code === 'missing') return undefined;
  if (presented?.scheme === 'DPoP' || e.code === 'invalid_dpop_proof' || e.code === 'use_dpop_nonce' || e.scheme === 'DPoP') return 'DPoP';
  return presented ? 'Bearer' : undefined;
}
