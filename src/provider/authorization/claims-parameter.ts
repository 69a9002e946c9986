/**
 * The `claims` request parameter (OIDC Core §5.5): individual claims asked for by name, for the
 * UserInfo response (`userinfo`) and for the ID token (`id_token`), each `null` or
 * `{ essential, value, values }` (§5.5.1). Only the claims this provider knows (discovery's
 * `claims_supported`, src/provider/claims.ts `SCOPE_OF_CLAIM`) are kept, with the grant, and
 * released besides the scope-based ones once the user consented to them (in the words of the
 * scope that releases each: docs/SECURITY.md CL-05). Unknown members and claims are ignored
 * (§5.5); a malformed parameter is invalid_request (CL-06).
 *
 * Two members bind rather than ask: `sub` with a `value` (§5.5.1; request.ts, AZ-22), and `acr`
 * (§5.5.1.1): its values are asked as `acr_values` asks them (OIDC Core §3.1.2.1: a step-up to
 * the second factor for urn:jwt-oidc:mfa, src/provider/authorization/acr.ts), and when essential
 * the sign-in must reach one of them or the authorization fails with
 * `unmet_authentication_requirements` (docs/SECURITY.md CL-07, CL-08).
 */
import { SCOPE_OF_CLAIM } from '../claims.js';
import { invalidRequest } from '../errors.js';
import { ACR_MFA } from './acr.js';
import { PARAMETER_LIMITS } from './limits.js';

/** Characters of the parameter at most: it is parsed, and what is kept of it is stored with the request (RC-05). */
export const CLAIMS_PARAMETER_LIMIT = 4096;
/** Claims in one member at most, and values of one claim at most. */
const MAX_CLAIMS = 50;
const MAX_VALUES = 20;
/** An acr value, as `acr_values` takes them (request.ts). */
const ACR_VALUE = /^[\x21-\x7e]{1,255}$/;

/** What is kept of a `claims` parameter: what it asks that this provider can do. */
export interface RequestedClaims {
  /** Claims to release at /userinfo besides the scope-based ones, by name. */
  userinfo: string[];
  /** Claims to put in the ID token, by name. */
  idToken: string[];
  /** `id_token.acr` (§5.5.1.1): its values (none: any acr), and whether it is essential. */
  acr?: { essential: boolean; values: string[] };
}

/** What the grant keeps of it (grants.claims): the claims to release, by where. */
export interface GrantedClaims {
  userinfo: string[];
  id_token: string[];
}

type ClaimRequest = { essential?: unknown; value?: unknown; values?: unknown };

/** The parsed, checked parameter; undefined when none came. invalid_request when malformed. */
export function claimsParameter(raw: string | undefined): RequestedClaims | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > CLAIMS_PARAMETER_LIMIT) throw invalidRequest(`claims is too long (${CLAIMS_PARAMETER_LIMIT} characters at most)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidRequest('claims must be a JSON object');
  }
  if (!isObject(parsed)) throw invalidRequest('claims must be a JSON object');
  const userinfo = member(parsed, 'userinfo');
  const idToken = member(parsed, 'id_token');
  const acr = idToken.get('acr');
  return {
    userinfo: releasable(userinfo),
    idToken: releasable(idToken),
    ...(acr !== undefined ? { acr: acrRequest(acr) } : {}),
  };
}

/** A member (`userinfo`, `id_token`): absent, or an object whose every claim is null or a request object. */
function member(parsed: Record<string, unknown>, name: 'userinfo' | 'id_token'): Map<string, ClaimRequest | null> {
  if (!Object.hasOwn(parsed, name)) return new Map();
  const value = parsed[name];
  if (!isObject(value)) throw invalidRequest(`claims.${name} must be a JSON object`);
  const entries = Object.entries(value);
  if (entries.length > MAX_CLAIMS) throw invalidRequest(`claims.${name} asks for too many claims (${MAX_CLAIMS} at most)`);
  for (const [, request] of entries) {
    if (request === null) continue;
    if (!isObject(request)) throw invalidRequest(`each claim of claims.${name} must be null or a JSON object`);
    if (request.essential !== undefined && typeof request.essential !== 'boolean') throw invalidRequest(`essential in claims.${name} must be true or false`);
    if (request.values !== undefined && (!Array.isArray(request.values) || request.values.length > MAX_VALUES)) throw invalidRequest(`values in claims.${name} must be an array (of ${MAX_VALUES} at most)`);
  }
  return new Map(entries as [string, ClaimRequest | null][]);
}

/** The claims of a member this provider releases by name; `sub`, `acr` and the rest of the token's own are not among them. */
function releasable(claims: Map<string, ClaimRequest | null>): string[] {
  return [...claims.keys()].filter((name) => Object.hasOwn(SCOPE_OF_CLAIM, name)).sort();
}

function acrRequest(request: ClaimRequest | null): { essential: boolean; values: string[] } {
  const values = request === null ? [] : request.values !== undefined ? (request.values as unknown[]) : request.value !== undefined ? [request.value] : [];
  if (values.some((v) => typeof v !== 'string' || !ACR_VALUE.test(v))) throw invalidRequest('claims.id_token.acr asks for a malformed acr value');
  const unique = [...new Set(values as string[])];
  // As long as acr_values may be: both are stored with a parked request (RC-05).
  if (unique.join(' ').length > PARAMETER_LIMITS.acr_values) throw invalidRequest(`the values of claims.id_token.acr are too long (${PARAMETER_LIMITS.acr_values} characters at most)`);
  return { essential: request?.essential === true, values: unique };
}

/**
 * `acr_values` with the acr the claims parameter asks for, first: both ask the same (OIDC Core
 * §3.1.2.1 calls acr_values a request of the acr claim), so the step-up, the delegated login app
 * and the fake mode's page see one list. An essential acr without values asks for an acr at
 * all: the second factor's, the one the built-in sign-in states.
 */
export function withRequestedAcr(acrValues: string[] | undefined, claims: RequestedClaims | undefined): string[] | undefined {
  const acr = claims?.acr;
  if (!acr) return acrValues;
  const asked = acr.values.length ? acr.values : acr.essential ? [ACR_MFA] : [];
  const all = [...new Set([...asked, ...(acrValues ?? [])])];
  // Together no longer than acr_values alone may be (README "Limits", docs/SECURITY.md RC-05).
  if (all.join(' ').length > PARAMETER_LIMITS.acr_values) throw invalidRequest(`acr_values and the acr of claims are too long together (${PARAMETER_LIMITS.acr_values} characters at most)`);
  return all.length ? all : undefined;
}

/**
 * Whether the sign-in's `acr` meets an essential acr request (§5.5.1.1): one of its values, or
 * any acr when it named none. A voluntary request is always met.
 */
export function acrSatisfied(claims: RequestedClaims | undefined, acr: string | null): boolean {
  const asked = claims?.acr;
  if (!asked?.essential) return true;
  return acr !== null && (asked.values.length === 0 || asked.values.includes(acr));
}

/** The scopes whose claims the parameter asks for by name: what the user consents to besides the scopes. */
export function claimScopes(claims: RequestedClaims | undefined): string[] {
  if (!claims) return [];
  return [...new Set([...claims.userinfo, ...claims.idToken].map((name) => SCOPE_OF_CLAIM[name]!))].sort();
}

/** What the grant keeps, or null when nothing is asked by name. */
export function grantedClaims(claims: RequestedClaims | undefined): GrantedClaims | null {
  if (!claims || (claims.userinfo.length === 0 && claims.idToken.length === 0)) return null;
  return { userinfo: claims.userinfo, id_token: claims.idToken };
}

/** A grant's stored claims, checked on the way back from its JSON column. */
export function storedClaims(value: unknown): GrantedClaims | null {
  if (!isObject(value)) return null;
  const names = (v: unknown) => (Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string' && Object.hasOwn(SCOPE_OF_CLAIM, n)) : []);
  return { userinfo: names(value.userinfo), id_token: names(value.id_token) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
