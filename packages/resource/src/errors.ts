/**
 * Errors of a resource server (RFC 6750 §3.1), with the HTTP status and the `WWW-Authenticate`
 * challenge that go with them. Callers narrow on `code`.
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * `insufficient_user_authentication` (RFC 9470 §3) is 401 as in that section's example: the
 * token is good, but the client must get a new one, after a stronger or more recent login.
 * A resource server refuses a bad DPoP proof, or one without its nonce, with 401 too (RFC 9449 §7.1, §9).
 */
const STATUS: Record<BearerErrorCode, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403, insufficient_user_authentication: 401, invalid_dpop_proof: 401, use_dpop_nonce: 401 };

export class BearerError extends Error {
  readonly status: number;
  constructor(
    readonly code: BearerErrorCode | 'missing',
    readonly description: string,
    /** For insufficient_scope: the scopes that would do (RFC 6750 §3). */
    readonly scope?: string,
    /** For insufficient_scope: the alternatives, each a list of scopes that together would do. */
    readonly alternatives?: readonly (readonly string[])[],
  ) {
    super(description);
    this.name = 'BearerError';
    this.status = code === 'missing' ? 401 : STATUS[code];
  }

  /**
   * The scheme of the refused request's credentials (`Authorization: Bearer` or `DPoP`), when
   * known: the challenge of that scheme carries the error (RFC 9449 §7.1).
   */
  scheme?: 'Bearer' | 'DPoP';

  /**
   * The `WWW-Authenticate` value; without credentials it names no error (RFC 6750 §3.1). The
   * realm is optional (RFC 6750 §3): without one, the challenge names none. `resourceMetadata`,
   * the URL of the API's protected-resource metadata, is named in `resource_metadata` (RFC 9728
   * §5.1), for clients to find the authorization server.
   *
   * With `dpop` (the API takes DPoP-bound tokens), a `DPoP` challenge with `algs` is added after
   * the Bearer one (RFC 9449 §7.1, §7.2: one header may carry both), or replaces it when the API
   * takes no bearer tokens (`bearer: false`). The error goes into the DPoP challenge when the
   * request used that scheme or the proof failed (`invalid_dpop_proof`, `use_dpop_nonce`), into
   * the Bearer challenge otherwise.
   */
  challenge(realm?: string, resourceMetadata?: string, dpop?: DpopChallenge): string {
    const common = realm === undefined ? [] : [`realm="${quote(realm)}"`];
    if (resourceMetadata !== undefined) common.push(`resource_metadata="${quote(resourceMetadata)}"`);
    const error: string[] = [];
    if (this.code !== 'missing') {
      error.push(`error="${this.code}"`, `error_description="${quote(this.description)}"`);
      if (this.scope) error.push(`scope="${quote(this.scope)}"`);
      error.push(...this.challengeParameters());
    }
    if (!dpop) return authChallenge('Bearer', [...common, ...error]);
    const bearer = dpop.bearer ?? true;
    const inDpop = !bearer || this.code === 'invalid_dpop_proof' || this.code === 'use_dpop_nonce' || (dpop.scheme ?? this.scheme) === 'DPoP';
    const challenges = bearer ? [authChallenge('Bearer', [...common, ...(inDpop ? [] : error)])] : [];
    challenges.push(authChallenge('DPoP', [...common, `algs="${quote(dpop.algorithms.join(' '))}"`, ...(inDpop ? error : [])]));
    return challenges.join(', ');
  }

  /** Further `auth-param`s of the challenge, after the error (RFC 6750 §3 allows others). */
  protected challengeParameters(): string[] {
    return [];
  }

  /**
   * The JSON body of the refusal, saying what the challenge says. A request without credentials
   * gets no code in the challenge (RFC 6750 §3.1: "SHOULD NOT include an error code"), so the body
   * claims no RFC 6750 code either: `unauthenticated`, as GraphQL's `UNAUTHENTICATED`.
   */
  body(): { error: string; error_description: string } {
    return { error: this.code === 'missing' ? 'unauthenticated' : this.code, error_description: this.description };
  }
}

const quote = (v: string) => v.replace(/["\\\r\n]/g, '');
const authChallenge = (name: string, attrs: readonly string[]) => (attrs.length ? `${name} ${attrs.join(', ')}` : name);

/** The DPoP side of a challenge (BearerError.challenge). */
export interface DpopChallenge {
  /** The proof algorithms the API accepts (`algs`, RFC 9449 §7.1). */
  algorithms: readonly string[];
  /** Whether the Bearer challenge is offered too (default true; false when only DPoP-bound tokens are taken). */
  bearer?: boolean;
  /** The scheme the refused request used, if it is not the error's own `scheme`. */
  scheme?: 'Bearer' | 'DPoP';
}

/**
 * A good token of a user whose authentication is not strong or recent enough for the resource
 * (RFC 9470 §3): 401 `insufficient_user_authentication`, with the `acr_values` (space-separated,
 * in order of preference) and/or the `max_age` (seconds) the client should ask the authorization
 * server for in its next authorization request (RFC 9470 §4; OIDC Core §3.1.2.1).
 */
export class InsufficientUserAuthenticationError extends BearerError {
  constructor(
    description: string,
    /** Authentication context class references that would do (RFC 9470 §3 `acr_values`). */
    readonly acrValues?: readonly string[],
    /** The longest time since the user's authentication that would do, in seconds (RFC 9470 §3 `max_age`). */
    readonly maxAge?: number,
  ) {
    super('insufficient_user_authentication', description);
    this.name = 'InsufficientUserAuthenticationError';
  }

  protected override challengeParameters(): string[] {
    const attrs: string[] = [];
    if (this.acrValues?.length) attrs.push(`acr_values="${quote(this.acrValues.join(' '))}"`);
    if (this.maxAge !== undefined) attrs.push(`max_age="${this.maxAge}"`);
    return attrs;
  }
}

/**
 * The token's issuer (its discovery document or key set) cannot be reached, so no token can be
 * checked right now: HTTP 503 with `Retry-After`, never a 401 that would make clients drop a
 * token that may be perfectly good.
 */
export class IssuerUnavailableError extends Error {
  readonly code = 'ERR_ISSUER_UNAVAILABLE';
  readonly status = 503;
  /** Seconds a client should wait before retrying. */
  readonly retryAfter = 5;
  constructor(message = 'the token issuer cannot be reached', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IssuerUnavailableError';
  }
}
