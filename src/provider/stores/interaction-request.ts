/**
 * What a pending interaction waits to finish, as stored with it: an authorization request parked
 * for login or consent (OIDC Core §3.1.2.1), or an RP-initiated logout waiting for the user's
 * confirmation (OpenID Connect RP-Initiated Logout 1.0 §2). One type, read back without casts.
 */
import type { AuthorizationRequest } from '../authorization/request.js';

export interface LogoutRequest {
  kind: 'logout';
  clientId: string | null;
  /** Set only when registered for the client: the only place the browser may be sent. */
  postLogoutRedirectUri: string | null;
  state: string | null;
}

/** A parked authorization request: its `id_token_hint` was used when it arrived and is never stored. */
export type ParkedAuthorizationRequest = AuthorizationRequest & { kind?: undefined; idTokenHint?: undefined };

export type InteractionRequest = ParkedAuthorizationRequest | LogoutRequest;

/**
 * Whether a stored payload is one of these: read back from a JSON column, it is checked, not
 * assumed (a row written by another version, or by hand, is no interaction at all).
 */
export function isInteractionRequest(value: object): value is InteractionRequest {
  const v = value as Record<string, unknown>;
  if (v.kind === 'logout') return nullableString(v.clientId) && nullableString(v.postLogoutRedirectUri) && nullableString(v.state);
  return v.kind === undefined && typeof v.clientId === 'string' && typeof v.redirectUri === 'string' && typeof v.responseType === 'string' && Array.isArray(v.scopes) && Array.isArray(v.prompt) && (v.device === undefined || typeof v.device === 'string');
}

const nullableString = (v: unknown) => v === null || typeof v === 'string';

/** The parked authorization request, or undefined for a logout (its uid cannot continue a sign-in). */
export function authorizationRequestOf(request: InteractionRequest): ParkedAuthorizationRequest | undefined {
  return request.kind === 'logout' ? undefined : request;
}

/** The logout request, or undefined for an authorization request. */
export function logoutRequestOf(request: InteractionRequest | undefined): LogoutRequest | undefined {
  return request?.kind === 'logout' ? request : undefined;
}
