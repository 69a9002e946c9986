/**
 * Request objects passed by value (RFC 9101; OIDC Core §6.1): the `request` parameter at
 * /authorize and at /par (RFC 9126 §3), a JWT the client signed with its registered keys —
 * private_key_jwt clients with an asymmetric signature, client_secret_jwt clients with an HMAC
 * keyed with their secret, as their client assertions are (src/provider/token/client-assertion.ts);
 * a client with neither cannot send one. The object must have
 * - `alg` one of those (never `none`, never the other family: docs/SECURITY.md RO-02);
 * - `iss` = the client_id, `aud` = the issuer, `typ` none or that of a request object (RO-03);
 * - `exp`, no more than REQUEST_OBJECT_MAX_LIFETIME_S ahead and not past; `nbf` and `iat`, when
 *   present, not ahead; ASSERTION_SKEW_S of clock skew either way (RO-05);
 * - a `jti` not seen before from this client until `exp` (RO-06), in the table of client
 *   assertions' `jti`s: one namespace, so one JWT is used once, whatever it is presented as;
 * - a `client_id`, if any, equal to the client's (RO-07).
 * Its claims, but for those of the JWT itself, are the request's parameters, and the only ones
 * (RFC 9101 §6.3): every member is unpacked generically — strings as they are, numbers and
 * booleans as text, JSON members (`claims`, OIDC Core §5.5) as JSON text, a list of strings as a
 * repeated parameter (`resource`, RFC 8707 §2) — and validated afterwards as any request is
 * (request.ts). Parameters outside the object are ignored but `client_id`, which names the
 * client whose keys check it, and `response_type`, which must then be the object's (OIDC Core
 * §6.1; RO-04). A client without keys (public, or a secret sent as such) cannot send one
 * (RO-09). A `request_uri` is only ever one of /par (par.ts, RO-08); none is fetched (JW-23).
 */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { RegisteredClient } from '../../clients/client-registry.js';
import { OAuthError, UntrustedRedirectError } from '../errors.js';
import { readParams, requireSingle, spaceList, type Params } from '../params.js';
import type { PushedParams } from '../stores/pushed-request-store.js';
import { ASSERTION_SIGNING_ALGS, SECRET_ASSERTION_ALGS } from '../token/auth-methods.js';
import { ASSERTION_SKEW_S, keysOf, oneUseJwtClaims, secretOf, verifyWith, type AssertionContext } from '../token/client-assertion.js';
import { JwksFetchError } from '../token/jwks-fetch.js';
import { outerRedirectError, trustedClient } from './request.js';

/** How far ahead a request object's `exp` may be, in seconds: it is made just before the redirect. */
export const REQUEST_OBJECT_MAX_LIFETIME_S = 300;
/** A request object longer than this (characters) is refused unread; URLs this long are already rare. */
export const MAX_REQUEST_OBJECT_LENGTH = 16_384;
/** Members that describe the JWT itself (RFC 7519 §4.1), not the authorization request. */
const JWT_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
/** `typ` values taken (RFC 9101 §10.8 asks for oauth-authz-req+jwt; older clients send JWT or none). */
const TYPES = /^((application\/)?oauth-authz-req\+jwt|JWT)$/i;

/** What checking a request object uses: the same as checking a client assertion. */
export type RequestObjectContext = AssertionContext;

export const invalidRequestObject = (d: string) => new OAuthError('invalid_request_object', d);

/** Whether a request object was sent (once, twice, or in a form other parsers make of it). */
export function hasRequestObject(params: Params): boolean {
  return params.get('request') !== undefined || params.duplicates.includes('request') || params.malformed.includes('request');
}

/**
 * At /authorize: the parameters of the request object, or undefined when none was sent. Until
 * the client is known its errors are pages; the object's own errors go where the parameters
 * outside it say, if that is a registered redirect_uri (request.ts outerRedirectError).
 */
export async function requestObjectParams(ctx: RequestObjectContext, sent: Params, lookup: (id: string) => RegisteredClient | undefined): Promise<Params | undefined> {
  if (!hasRequestObject(sent)) return undefined;
  const client = trustedClient(sent, lookup);
  try {
    requireSingle(sent, ['request']);
    // RFC 9101 §5: one or the other; and a request_uri other than /par's is not supported anyway.
    if (sent.get('request_uri') !== undefined) throw new OAuthError('request_uri_not_supported', 'request_uri is only for requests pushed to /par, and never beside request');
    const params = await unpackRequestObject(ctx, client, sent.get('request')!);
    const outer = sent.get('response_type');
    const inner = params.response_type;
    if (outer !== undefined && (typeof inner !== 'string' || normalized(outer) !== normalized(inner))) throw invalidRequestObject('response_type must be the same inside and outside the request object');
    return readParams(params);
  } catch (e) {
    if (e instanceof OAuthError && !(e instanceof UntrustedRedirectError)) throw outerRedirectError(sent, client, e);
    throw e;
  }
}

const normalized = (list: string) => spaceList(list).sort().join(' ');

/**
 * The parameters of a request object of `client`, verified (see above), its `jti` spent; each
 * refusal is `invalid_request_object` with what went wrong.
 */
export async function unpackRequestObject(ctx: RequestObjectContext, client: RegisteredClient, jwt: string): Promise<PushedParams> {
  if (jwt.length > MAX_REQUEST_OBJECT_LENGTH) throw invalidRequestObject(`the request object is longer than ${MAX_REQUEST_OBJECT_LENGTH} characters`);
  const secretJwt = client.tokenEndpointAuthMethod === 'client_secret_jwt';
  if (!secretJwt && client.jwks === null && client.jwksUri === null) throw invalidRequestObject('this client has no registered keys to sign a request object with (private_key_jwt or client_secret_jwt)');
  // Chosen by the client's registration, never by the header (as for assertions: CA-02).
  const algs = secretJwt ? SECRET_ASSERTION_ALGS : ASSERTION_SIGNING_ALGS;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw invalidRequestObject('the request object is not a JWT');
  }
  if (typeof header.alg !== 'string' || !algs.includes(header.alg)) throw invalidRequestObject(`the request object must be signed with one of ${algs.join(', ')}`);
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !TYPES.test(header.typ))) throw invalidRequestObject('the request object\'s typ must be oauth-authz-req+jwt');
  const now = ctx.clock.now();
  const options: JWTVerifyOptions = {
    algorithms: [...algs],
    issuer: client.id,
    audience: ctx.issuer,
    clockTolerance: ASSERTION_SKEW_S,
    currentDate: new Date(now),
    requiredClaims: ['exp', 'jti'],
  };
  const payload = await verified(ctx, client, jwt, options, secretJwt);

  const { exp, jti } = oneUseJwtClaims(payload, now, REQUEST_OBJECT_MAX_LIFETIME_S, 'request object', invalidRequestObject);
  const params = parametersOf(payload, client.id);
  // Kept until exp plus the skew: until then the object would still be accepted.
  if (!(await ctx.assertions.useOnce(client.id, jti, (exp + ASSERTION_SKEW_S) * 1000))) {
    ctx.logger.warn({ event: 'request_object.replayed', client: client.id }, 'request object replayed');
    throw invalidRequestObject('the request object was already used (jti)');
  }
  return params;
}

/** The object's members as parameters, as a form would carry them; `client_id` the client's. */
function parametersOf(payload: JWTPayload, clientId: string): PushedParams {
  const params: PushedParams = {};
  for (const [name, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(name) || name === '__proto__') continue;
    // RFC 9101 §4: a request object refers to no other.
    if (name === 'request' || name === 'request_uri') throw invalidRequestObject(`a request object must not contain ${name}`);
    const text = asParameter(value);
    if (text === undefined) throw invalidRequestObject(`the request object's ${name.slice(0, 64)} is not a parameter value`);
    params[name] = text;
  }
  if (params.client_id !== undefined && params.client_id !== clientId) throw invalidRequestObject('the request object\'s client_id is not the client\'s');
  params.client_id = clientId;
  return params;
}

function asParameter(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length === 1 ? value[0] : value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return undefined;
}

/** The payload, once the signature or MAC checks with the client's keys (a jwks_uri set refetched once for an unknown key). */
async function verified(ctx: RequestObjectContext, client: RegisteredClient, jwt: string, options: JWTVerifyOptions, secretJwt: boolean): Promise<JWTPayload> {
  try {
    if (secretJwt) {
      // The secret's expiry (RFC 7591 §3.2.1), as for its assertions.
      if (client.secretExpiresAt !== null && client.secretExpiresAt <= ctx.clock.now()) throw invalidRequestObject('the client secret has expired');
      return (await jwtVerify(jwt, secretOf(ctx, client), options)).payload;
    }
    try {
      return await verifyWith(jwt, await keysOf(ctx, client), options);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey) || !client.jwksUri) throw e;
      const fresh = await ctx.clientKeys.refetch(client.jwksUri);
      if (!fresh) throw e;
      return await verifyWith(jwt, fresh, options);
    }
  } catch (e) {
    throw refusal(ctx, client, e);
  }
}

function refusal(ctx: RequestObjectContext, client: RegisteredClient, e: unknown): unknown {
  if (e instanceof OAuthError) return e.error === 'invalid_request_object' ? e : invalidRequestObject(e.description);
  if (e instanceof JwksFetchError) {
    ctx.logger.warn({ event: 'request_object.jwks_unavailable', client: client.id, reason: e.reason, err: e.message }, 'client keys not fetched');
    return invalidRequestObject('the client\'s keys could not be fetched from its jwks_uri');
  }
  if (e instanceof errors.JWTExpired) return invalidRequestObject('the request object has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return invalidRequestObject('the request object\'s aud must be the issuer');
    if (e.claim === 'iss') return invalidRequestObject('the request object\'s iss must be the client_id');
    if (e.claim === 'nbf') return invalidRequestObject('the request object is not valid yet (nbf)');
    return invalidRequestObject(`the request object's ${e.claim} is missing or invalid`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) return invalidRequestObject('no registered key of the client matches the request object');
  if (e instanceof errors.JOSEAlgNotAllowed) return invalidRequestObject('the request object\'s alg is not allowed for this client');
  if (e instanceof errors.JOSEError) return invalidRequestObject('the request object\'s signature is invalid');
  return e;
}
