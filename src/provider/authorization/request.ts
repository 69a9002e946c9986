/**
 * Validating an authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) in small steps, in
 * an order that matters: the client and the redirect_uri first, and until both are trusted no
 * error is ever redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.11.2; docs/SECURITY.md AZ-01…AZ-11).
 * Every later error goes back to the registered URI with `state` and `iss` (RFC 9207).
 */
import { overLimit, PARAMETER_LIMITS } from './limits.js';
import { isRedirectUriOf, type RegisteredClient } from '../../clients/client-registry.js';
import { OAuthError, UntrustedRedirectError, invalidRequest } from '../errors.js';
import { SCOPE_TOKEN, spaceList, type Params } from '../params.js';
import { defaultResponseMode, type ResponseMode } from './response.js';
import { resourceParam } from '../resource-indicators.js';
import { claimsParameter, withRequestedAcr, type RequestedClaims } from './claims-parameter.js';

export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** A validated authorization request; what an interaction stores and a code remembers. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Whether redirect_uri was sent (then the token request must repeat it: RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  responseType: string;
  responseMode: ResponseMode;
  scopes: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  /** The DPoP key the code is bound to (`dpop_jkt`, RFC 9449 §10): its thumbprint. */
  dpopJkt?: string;
  prompt: Prompt[];
  maxAge?: number;
  loginHint?: string;
  idTokenHint?: string;
  acrValues?: string[];
  uiLocales?: string[];
  claimsLocales?: string[];
  display?: string;
  /** The `resource` values (RFC 8707 §2), each once; checked against the registered ones by authorize(). */
  resources?: string[];
  /** The scopes those resources list, set once they are found registered: grantable with them. */
  resourceScopes?: string[];
  /** A `sub` the request asked for through the `claims` parameter (OIDC Core §5.5.1). */
  requestedSub?: string;
  /** The individual claims and the acr the `claims` parameter asks for (OIDC Core §5.5; claims-parameter.ts). */
  claims?: RequestedClaims;
  /**
   * Set when the request is parked: the browser's current session may be continued on the
   * account-selection page — there is one, and neither `prompt=login`, `max_age` nor a hint
   * (id_token_hint, the claims parameter's sub) asks for a fresh or another login.
   */
  offerSelect?: boolean;
  /**
   * A device sign-in (RFC 8628 §3.3): the digest of the device request the user confirmed at
   * `/device`. Its end approves the device request instead of answering a redirect URI
   * (src/provider/device-approval.ts); its redirect URI is the verification page.
   */
  device?: string;
}

/** An error to send to the (trusted) redirect URI, in the request's response mode. */
export class AuthorizationRedirectError extends OAuthError {
  constructor(
    cause: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
    readonly responseMode: ResponseMode = 'query',
  ) {
    super(cause.error, cause.description);
    this.name = 'AuthorizationRedirectError';
  }
}

/** OAuth 2.0 Multiple Response Types; written with values sorted, as they are compared. */
export const SUPPORTED_RESPONSE_TYPES = new Set(['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']);
const PROMPTS = new Set<Prompt>(['none', 'login', 'consent', 'select_account']);
const DISPLAYS = new Set(['page', 'popup', 'touch', 'wap']);
/** RFC 7636 §4.2: S256 challenges are 43 base64url characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7638 SHA-256 thumbprints, base64url: 43 characters. */
const JKT = /^[A-Za-z0-9_-]{43}$/;
const LOCALES = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
const MAX_AGE_LIMIT = 2_147_483_647;
/** Parameters read below; any of them sent twice is invalid_request. */
const SINGLE = ['response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age', 'login_hint', 'id_token_hint', 'acr_values', 'ui_locales', 'claims_locales', 'display', 'request', 'request_uri', 'claims', 'registration', 'dpop_jkt'];

export function validateAuthorizationRequest(params: Params, lookup: (id: string) => RegisteredClient | undefined): { request: AuthorizationRequest; client: RegisteredClient } {
  const client = trustedClient(params, lookup);
  const { redirectUri, given } = trustedRedirectUri(params, client);
  // `state` is echoed only when it came once (AZ-15: a duplicated value is not used), and only
  // when it is within its limit (a longer one is refused without being echoed).
  const rawState = params.duplicates.includes('state') || params.malformed.includes('state') ? undefined : params.get('state');
  const state = rawState !== undefined && rawState.length <= PARAMETER_LIMITS.state ? rawState : undefined;
  // Errors go back in the mode the request asked for (fragment for implicit/hybrid types).
  const mode = errorResponseMode(params);
  try {
    const long = overLimit({ state: rawState, nonce: params.get('nonce'), login_hint: params.get('login_hint'), scope: params.get('scope'), acr_values: params.get('acr_values'), ui_locales: params.get('ui_locales'), claims_locales: params.get('claims_locales') });
    if (long) throw invalidRequest(`${long} is too long (${PARAMETER_LIMITS[long]} characters at most)`);
    const checked = redirectable(params, client);
    // OpenID Connect makes redirect_uri mandatory (OIDC Core §3.1.2.1); plain OAuth 2.0 may omit
    // it when exactly one is registered (RFC 6749 §3.1.2.3).
    if (!given && checked.scopes.includes('openid')) throw invalidRequest('redirect_uri is required for OpenID Connect requests');
    return { client, request: { ...checked, clientId: client.id, redirectUri, redirectUriGiven: given, state } };
  } catch (e) {
    if (e instanceof OAuthError) throw new AuthorizationRedirectError(e, redirectUri, state, mode);
    throw e;
  }
}

/**
 * An error about a request object itself (src/provider/authorization/request-object.ts), whose
 * own parameters cannot be used: sent to the redirect_uri of the parameters outside it when that
 * is registered (with their `state`), an error page otherwise — never to the object's.
 */
export function outerRedirectError(params: Params, client: RegisteredClient, cause: OAuthError): OAuthError {
  const { redirectUri } = trustedRedirectUri(params, client);
  const rawState = params.duplicates.includes('state') || params.malformed.includes('state') ? undefined : params.get('state');
  const state = rawState !== undefined && rawState.length <= PARAMETER_LIMITS.state ? rawState : undefined;
  return new AuthorizationRedirectError(cause, redirectUri, state, errorResponseMode(params));
}

function errorResponseMode(params: Params): ResponseMode {
  const asked = params.get('response_mode');
  if (asked === 'query' || asked === 'fragment' || asked === 'form_post') return asked;
  const type = params.get('response_type');
  return type !== undefined && SUPPORTED_RESPONSE_TYPES.has(spaceList(type).sort().join(' ')) ? defaultResponseMode(spaceList(type).sort().join(' ')) : 'query';
}

/** The client of a request, before anything else is trusted: errors here are pages (AZ-10). */
export function trustedClient(params: Params, lookup: (id: string) => RegisteredClient | undefined): RegisteredClient {
  if (params.duplicates.includes('client_id') || params.malformed.includes('client_id')) {
    throw new UntrustedRedirectError('invalid_request', 'client_id must be sent once');
  }
  const id = params.get('client_id');
  if (!id) throw new UntrustedRedirectError('invalid_request', 'client_id is missing');
  const client = id.length <= 128 ? lookup(id) : undefined;
  if (!client) throw new UntrustedRedirectError('invalid_client', 'unknown client');
  return client;
}

function trustedRedirectUri(params: Params, client: RegisteredClient): { redirectUri: string; given: boolean } {
  if (params.duplicates.includes('redirect_uri') || params.malformed.includes('redirect_uri')) {
    throw new UntrustedRedirectError('invalid_request', 'redirect_uri must be sent once', client);
  }
  const given = params.get('redirect_uri');
  if (given !== undefined) {
    if (!isRedirectUriOf(client, given)) throw new UntrustedRedirectError('invalid_request', 'redirect_uri is not registered for this client', client);
    return { redirectUri: given, given: true };
  }
  if (client.redirectUris.length !== 1) throw new UntrustedRedirectError('invalid_request', 'redirect_uri is required', client);
  return { redirectUri: client.redirectUris[0]!, given: false };
}

function redirectable(params: Params, client: RegisteredClient): Omit<AuthorizationRequest, 'clientId' | 'redirectUri' | 'redirectUriGiven' | 'state'> {
  const twice = SINGLE.filter((n) => params.duplicates.includes(n) || params.malformed.includes(n));
  if (twice.length) throw invalidRequest(`parameters must be sent once: ${twice.join(', ')}`);
  // A request object is unpacked before validation (request-object.ts): none is left to read.
  if (params.get('request')) throw new OAuthError('request_not_supported', 'a request object must be unpacked before validation');
  if (params.get('request_uri')) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');

  const responseType = params.get('response_type');
  if (!responseType) throw invalidRequest('response_type is missing');
  const normalized = spaceList(responseType).sort().join(' ');
  if (!SUPPORTED_RESPONSE_TYPES.has(normalized)) throw new OAuthError('unsupported_response_type', `response_type "${responseType}" is not supported`);
  if (!client.responseTypes.includes(normalized)) throw new OAuthError('unauthorized_client', `this client may not use response_type "${responseType}"`);

  const asked = params.get('response_mode');
  if (asked !== undefined && asked !== 'query' && asked !== 'fragment' && asked !== 'form_post') throw invalidRequest(`response_mode "${asked}" is not supported`);
  const responseMode: ResponseMode = asked ?? defaultResponseMode(normalized);
  // Tokens never travel in a query string (OAuth 2.0 Multiple Response Types §5).
  if (responseMode === 'query' && normalized !== 'code') throw invalidRequest('response_mode=query is only for response_type=code');

  const scopeParam = params.get('scope');
  if (scopeParam === undefined) throw invalidRequest('scope is missing');
  const scopes = spaceList(scopeParam);
  if (scopes.length === 0 || scopes.some((s) => !SCOPE_TOKEN.test(s) || s.length > 128) || scopes.length > 50) throw new OAuthError('invalid_scope', 'scope is malformed');

  const codeChallenge = normalized.split(' ').includes('code') ? pkce(params, client) : undefined;
  // RFC 9449 §10: a JWK SHA-256 thumbprint (RFC 7638), 43 base64url characters.
  const dpopJkt = params.get('dpop_jkt');
  if (dpopJkt !== undefined && !JKT.test(dpopJkt)) throw invalidRequest('dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)');

  const prompt = spaceList(params.get('prompt')) as Prompt[];
  if (prompt.some((p) => !PROMPTS.has(p)) || new Set(prompt).size !== prompt.length) throw invalidRequest('prompt has an unknown or repeated value');
  if (prompt.includes('none') && prompt.length > 1) throw invalidRequest('prompt=none must be used alone');

  const maxAgeParam = params.get('max_age');
  let maxAge: number | undefined;
  if (maxAgeParam !== undefined) {
    if (!/^\d{1,10}$/.test(maxAgeParam) || Number(maxAgeParam) > MAX_AGE_LIMIT) throw invalidRequest('max_age must be a whole number of seconds');
    maxAge = Number(maxAgeParam);
  }

  const display = params.get('display');
  if (display !== undefined && !DISPLAYS.has(display)) throw invalidRequest('display must be page, popup, touch or wap');
  const nonce = params.get('nonce');
  // An ID token from the authorization endpoint needs a nonce (OIDC Core §3.2.2.1, §3.3.2.11).
  if (nonce === undefined && normalized.split(' ').includes('id_token')) throw invalidRequest('nonce is required when an ID token is returned from the authorization endpoint');
  const loginHint = params.get('login_hint');
  const idTokenHint = params.get('id_token_hint');
  if (idTokenHint !== undefined && (idTokenHint.length > 8192 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(idTokenHint))) throw invalidRequest('id_token_hint is not a signed JWT');
  const list = (name: string, pattern: RegExp) => {
    const value = params.get(name);
    if (value === undefined) return undefined;
    const items = spaceList(value);
    if (items.length === 0 || items.length > 20 || items.some((i) => !pattern.test(i))) throw invalidRequest(`${name} is malformed`);
    return items;
  };

  const resources = resourceParam(params);
  const claims = claimsParameter(params.get('claims'));
  return {
    ...(claims ? { claims } : {}),
    ...(resources.length ? { resources } : {}),
    requestedSub: requestedSubject(params.get('claims')),
    responseType: normalized,
    responseMode,
    scopes: [...new Set(scopes)],
    nonce,
    codeChallenge,
    ...(dpopJkt !== undefined ? { dpopJkt } : {}),
    prompt,
    maxAge,
    loginHint,
    idTokenHint,
    acrValues: withRequestedAcr(list('acr_values', /^[\x21-\x7e]{1,255}$/), claims),
    uiLocales: list('ui_locales', LOCALES),
    claimsLocales: list('claims_locales', LOCALES),
    display,
  };
}

/**
 * The one member of the `claims` parameter that binds the subject: a requested `sub` value must
 * be the user who gets the tokens (OIDC Core §5.5.1; docs/SECURITY.md AZ-22). The rest of the
 * parameter is claims-parameter.ts's, which refuses a malformed one first.
 */
function requestedSubject(claims: string | undefined): string | undefined {
  if (claims === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = claims.length <= 4096 ? JSON.parse(claims) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidRequest('claims must be a JSON object');
  const subs = ['id_token', 'userinfo']
    .map((member) => (parsed as Record<string, { sub?: { value?: unknown } } | undefined>)[member]?.sub?.value)
    .filter((v) => v !== undefined);
  if (subs.some((v) => typeof v !== 'string' || v.includes('\u0000')) || new Set(subs).size > 1) throw invalidRequest('claims asks for an invalid sub');
  return subs[0] as string | undefined;
}

/**
 * PKCE (RFC 7636) for response types with a code: S256 only (`plain` would reveal the verifier),
 * required for public clients (RFC 9700 §2.1.1; docs/SECURITY.md AZ-17, AZ-18).
 */
function pkce(params: Params, client: RegisteredClient): string | undefined {
  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest('code_challenge_method without code_challenge');
    if (client.isPublic) throw invalidRequest('code_challenge is required (PKCE, S256) for public clients');
    return undefined;
  }
  // Without a method the default is "plain" (RFC 7636 §4.3), which we refuse like an explicit one.
  if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(challenge)) throw invalidRequest('code_challenge must be 43 base64url characters (S256)');
  return challenge;
}
