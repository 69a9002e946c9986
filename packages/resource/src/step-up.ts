/**
 * Step-up authentication (RFC 9470): how the user behind a token authenticated — `acr`, `amr`,
 * `auth_time` (OIDC Core §2; RFC 9068 §2.2.1; `amr` values per RFC 8176) — and whether that is
 * strong and recent enough for a resource. When it is not, the refusal is the challenge of
 * RFC 9470 §3, naming the `acr_values` and `max_age` the client should ask the authorization
 * server for in its next authorization request (RFC 9470 §4).
 */
import type { JWTPayload } from 'jose';
import { InsufficientUserAuthenticationError } from './errors.js';

/** How the user authenticated, as the token says; a malformed claim counts as absent. */
export interface UserAuthentication {
  /** Authentication context class reference (OIDC Core §2 `acr`). */
  acr?: string;
  /** Authentication methods references (OIDC Core §2 `amr`; RFC 8176). */
  amr?: string[];
  /** When the user authenticated: seconds since the epoch (OIDC Core §2 `auth_time`). */
  authTime?: number;
}

/** What a resource demands of the user's authentication. */
export interface StepUpRequirement {
  /** One of these `acr` values (RFC 9470 §3 `acr_values`); none given or empty: any. */
  acrValues?: readonly string[];
  /** At most this many seconds since `auth_time` (RFC 9470 §3 `max_age`); none: any age. */
  maxAge?: number;
}

/** The `acr`, `amr` and `auth_time` claims of verified token claims. */
export function userAuthenticationOf(claims: JWTPayload): UserAuthentication {
  const found: UserAuthentication = {};
  if (typeof claims.acr === 'string' && claims.acr !== '') found.acr = claims.acr;
  if (Array.isArray(claims.amr) && claims.amr.every((m) => typeof m === 'string')) found.amr = [...(claims.amr as string[])];
  const authTime = claims.auth_time;
  if (typeof authTime === 'number' && Number.isFinite(authTime) && authTime >= 0) found.authTime = authTime;
  return found;
}

/**
 * What `auth` lacks for `required`: an InsufficientUserAuthenticationError (401, RFC 9470 §3)
 * naming the requirement's `acr_values` and `max_age`, or undefined when it meets it. The `acr`
 * must be one of the values exactly; `max_age` holds while no more than that many seconds have
 * passed since `auth_time` (OIDC Core §3.1.2.1), and a token without `auth_time` never meets it.
 * `now`: milliseconds since the epoch (default: the system clock), for tests.
 */
export function unmetUserAuthentication(auth: UserAuthentication, required: StepUpRequirement, now: () => number = Date.now): InsufficientUserAuthenticationError | undefined {
  const acrValues = required.acrValues?.length ? required.acrValues : undefined;
  const refuse = (description: string) => new InsufficientUserAuthenticationError(description, acrValues, required.maxAge);
  if (acrValues && (auth.acr === undefined || !acrValues.includes(auth.acr))) return refuse('a stronger authentication of the user is required');
  if (required.maxAge !== undefined) {
    if (auth.authTime === undefined) return refuse('the access token does not say when the user authenticated');
    if (Math.floor(now() / 1000) - auth.authTime > required.maxAge) return refuse('a more recent authentication of the user is required');
  }
  return undefined;
}

/** Throws what unmetUserAuthentication returns. */
export function requireUserAuthentication(auth: UserAuthentication, required: StepUpRequirement, now?: () => number): void {
  const missing = unmetUserAuthentication(auth, required, now);
  if (missing) throw missing;
}

/** A requirement as the options of the packages take it: a list of acr values, or the full form. */
export function stepUpRequirement(value: readonly string[] | StepUpRequirement): StepUpRequirement {
  const required: StepUpRequirement = Array.isArray(value) ? { acrValues: value as readonly string[] } : (value as StepUpRequirement);
  if (required.maxAge !== undefined && !(Number.isSafeInteger(required.maxAge) && required.maxAge >= 0)) throw new TypeError('maxAge must be a whole number of seconds, 0 or more');
  if (required.acrValues?.some((v) => typeof v !== 'string' || !/^[\x21-\x7e]+$/.test(v) || v.includes('"') || v.includes('\\'))) {
    throw new TypeError('acr values must be visible ASCII without spaces, quotes or backslashes');
  }
  return required;
}
