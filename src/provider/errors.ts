/**
 * The OAuth 2.0 / OpenID Connect error family (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; OIDC Core
 * §3.1.2.6). Protocol code throws these; each edge maps them once: JSON at the token endpoint,
 * a redirect (or an error page) at the authorization endpoint, `WWW-Authenticate` at userinfo.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'account_selection_required'
  // OpenID Connect Core Error Code unmet_authentication_requirements 1.0 §1: acr_values the OP cannot meet.
  | 'unmet_authentication_requirements'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  | 'invalid_request_object'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'too_many_requests'
  // RFC 8707 §2: a resource that is unknown, not allowed, or not authorized in the grant.
  | 'invalid_target'
  // RFC 9449 §5, §8: a DPoP proof that fails a check of §4.3, or one without the server's nonce.
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  // RFC 8628 §3.5: the device flow's answers while the user has not decided, or too late.
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  too_many_requests: 429,
};

export class OAuthError extends Error {
  /** HTTP status at a JSON edge (token endpoint, userinfo). */
  readonly status: number;
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    options: { status?: number; retryAfter?: number; scope?: string } = {},
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = options.status ?? STATUS[error] ?? 400;
    this.retryAfter = options.retryAfter;
    this.scope = options.scope;
  }
  /** Seconds to wait, for `too_many_requests` (the `Retry-After` header). */
  readonly retryAfter?: number;
  /** Scopes that would have sufficed, for `insufficient_scope` (RFC 6750 §3). */
  readonly scope?: string;

  /** The RFC 6749 §5.2 body: `error` and `error_description`, nothing else. */
  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/**
 * An authorization request whose client or redirect_uri cannot be trusted: answered with an
 * error page, never a redirect (RFC 6749 §4.1.2.1; docs/SECURITY.md AZ-01, AZ-11).
 */
export class UntrustedRedirectError extends OAuthError {
  /** The client, when it is known: its error page links back to its home page, never to the untrusted URI. */
  constructor(
    error: OAuthErrorCode,
    description: string,
    readonly client?: { name: string; clientUri: string | null },
  ) {
    super(error, description);
    this.name = 'UntrustedRedirectError';
  }
}

export const invalidRequest = (d: string) => new OAuthError('invalid_request', d);
export const invalidGrant = (d: string) => new OAuthError('invalid_grant', d);
export const invalidScope = (d: string) => new OAuthError('invalid_scope', d);
export const invalidClient = (d = 'client authentication failed') => new OAuthError('invalid_client', d);
export const invalidTarget = (d: string) => new OAuthError('invalid_target', d);
export const invalidToken = (d: string) => new OAuthError('invalid_token', d);
