/**
 * `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2, §3; OIDC Core §9): the client proves
 * itself with a JWT it signed with one of its registered keys, or MACed with its secret (the
 * octets of its UTF-8 form, OIDC Core §16.19). One verifier for both; the JWT must have
 * - `iss` = `sub` = the client_id;
 * - `aud` naming this provider: its issuer, or the URL of one of its endpoints (the token
 *   endpoint's, or the one being called — introspection, revocation, or any other listed in
 *   discovery, as RFC 7523 §3 item 3 allows) (docs/SECURITY.md CA-04);
 * - `exp`, no more than ASSERTION_MAX_LIFETIME_S ahead (a short-lived proof, and a short-lived
 *   row in the replay table), not past (CA-05); `nbf` and `iat`, when present, not ahead;
 *   ASSERTION_SKEW_S of clock skew either way;
 * - a `jti` never seen before from this client until `exp`, on any instance (CA-01);
 * - for private_key_jwt an asymmetric signature (ASSERTION_SIGNING_ALGS): never `none`, never an
 *   HMAC, which could be keyed with a public key the attacker knows (CA-02); for
 *   client_secret_jwt an HMAC (SECRET_ASSERTION_ALGS) and nothing else, with a secret not past
 *   its expiry (CA-11, CA-12).
 * Every failure is `invalid_client`; the reason goes to the description and the log.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { PublicJwkSet } from '../../clients/jwks.js';
import type { ProviderContext } from '../context.js';
import { discoveryMetadata } from '../discovery.js';
import { invalidClient } from '../errors.js';
import { clientSealedAs } from '../../clients/client-service.js';
import { ASSERTION_SIGNING_ALGS, SECRET_ASSERTION_ALGS } from './auth-methods.js';
import { JwksFetchError } from './jwks-fetch.js';

/** How far ahead an assertion's `exp` may be, in seconds (README "Client authentication"). */
export const ASSERTION_MAX_LIFETIME_S = 300;
/** Clock skew accepted on `exp`, `nbf` and `iat`, in seconds. */
export const ASSERTION_SKEW_S = 60;
const MAX_JTI_LENGTH = 255;

/** What verifying an assertion uses: who we are, time, log, the keys of clients and the used `jti`s. */
export type AssertionContext = Pick<ProviderContext, 'issuer' | 'settings' | 'clock' | 'logger' | 'clientKeys' | 'assertions'> & {
  /** Opens a client_secret_jwt client's sealed secret (KeyEncryption). */
  keys: { encryption: { decrypt(kid: string, blob: string): Buffer } };
};

/**
 * The client an assertion says it comes from (`iss`, which must equal `sub`), read before its
 * signature is checked: only to find the keys to check it with.
 */
export function assertedClientId(assertion: string): string {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion is not a JWT');
  }
  if (typeof payload.iss !== 'string' || payload.iss === '' || payload.sub !== payload.iss) throw invalidClient('the client assertion\'s iss and sub must both be the client_id');
  return payload.iss;
}

const audiencesByIssuer = new Map<string, string[]>();

/** The issuer and every endpoint URL of discovery (so an endpoint added later, such as PAR's, is accepted too). */
export function assertionAudiences(ctx: Pick<AssertionContext, 'issuer' | 'settings'>): string[] {
  let audiences = audiencesByIssuer.get(ctx.issuer);
  if (!audiences) {
    const metadata = discoveryMetadata({ issuer: ctx.issuer, signatureAlg: ctx.settings.signatureAlg });
    const endpoints = Object.entries(metadata).filter(([k, v]) => k.endsWith('_endpoint') && typeof v === 'string').map(([, v]) => v as string);
    audiences = [...new Set([ctx.issuer, ...endpoints])];
    audiencesByIssuer.set(ctx.issuer, audiences);
  }
  return audiences;
}

/** The client of a JWT assertion method (private_key_jwt or client_secret_jwt). */
export async function verifyClientAssertion(ctx: AssertionContext, client: RegisteredClient, assertion: string): Promise<void> {
  const secretJwt = client.tokenEndpointAuthMethod === 'client_secret_jwt';
  // Chosen by the client's registered method, never by the header: an HMAC for a key-pair
  // client would be keyed with its public key (CA-02), a signature for a secret client with nothing.
  const algs = secretJwt ? SECRET_ASSERTION_ALGS : ASSERTION_SIGNING_ALGS;
  let alg: unknown;
  let typ: unknown;
  try {
    ({ alg, typ } = decodeProtectedHeader(assertion));
  } catch {
    throw invalidClient('client_assertion is not a JWT');
  }
  // A request object (RFC 9101 §10.8: explicitly typed) passes through browsers: it is never
  // taken as a proof of the client (docs/SECURITY.md RO-11).
  if (typeof typ === 'string' && /^(application\/)?oauth-authz-req\+jwt$/i.test(typ)) throw invalidClient('a request object is not a client assertion');
  if (typeof alg !== 'string' || !algs.includes(alg)) {
    throw invalidClient(`the client assertion must be signed with one of ${algs.join(', ')}`);
  }
  const now = ctx.clock.now();
  const options: JWTVerifyOptions = {
    algorithms: [...algs],
    issuer: client.id,
    subject: client.id,
    audience: assertionAudiences(ctx),
    clockTolerance: ASSERTION_SKEW_S,
    currentDate: new Date(now),
    requiredClaims: ['exp', 'jti'],
  };

  const payload = secretJwt ? await verifyMac(ctx, client, assertion, options) : await verifySignature(ctx, client, assertion, options);

  const { exp, jti } = oneUseJwtClaims(payload, now, ASSERTION_MAX_LIFETIME_S, 'client assertion', invalidClient);
  // Kept until exp plus the skew: until then the assertion would still be accepted.
  if (!(await ctx.assertions.useOnce(client.id, jti, (exp + ASSERTION_SKEW_S) * 1000))) {
    ctx.logger.warn({ event: 'client_assertion.replayed', client: client.id }, 'client assertion replayed');
    throw invalidClient('the client assertion was already used (jti)');
  }
}

/**
 * The claims that make a client's JWT (an assertion, RFC 7523 §3; a request object, RFC 9101
 * §10.8) short-lived and usable once, on a verified payload whose `exp` and `jti` are present: an
 * `exp` at most `maxLifetimeS` ahead, an `iat` not in the future (both with the skew), a `jti` of
 * 1–MAX_JTI_LENGTH characters. `fail` makes the refusal of the caller's kind.
 */
export function oneUseJwtClaims(payload: JWTPayload, nowMs: number, maxLifetimeS: number, what: string, fail: (description: string) => Error): { exp: number; jti: string } {
  const nowS = Math.floor(nowMs / 1000);
  const exp = payload.exp!;
  if (exp > nowS + maxLifetimeS + ASSERTION_SKEW_S) throw fail(`the ${what}'s exp is more than ${maxLifetimeS} seconds ahead`);
  if (payload.iat !== undefined && payload.iat > nowS + ASSERTION_SKEW_S) throw fail(`the ${what}'s iat is in the future`);
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw fail(`the ${what}'s jti must be a string of 1–${MAX_JTI_LENGTH} characters`);
  return { exp, jti };
}

/** client_secret_jwt: the HMAC, keyed with the client's secret, while the secret has not expired. */
async function verifyMac(ctx: AssertionContext, client: RegisteredClient, assertion: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  // The secret's expiry (RFC 7591 §3.2.1 client_secret_expires_at), as for Basic and form secrets.
  if (client.secretExpiresAt !== null && client.secretExpiresAt <= ctx.clock.now()) throw invalidClient('the client secret has expired');
  try {
    return (await jwtVerify(assertion, secretOf(ctx, client), options)).payload;
  } catch (e) {
    throw refusal(ctx, client, e, SECRET_ASSERTION_ALGS);
  }
}

/** private_key_jwt: the signature, with the client's registered keys. */
async function verifySignature(ctx: AssertionContext, client: RegisteredClient, assertion: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return await verifyWith(assertion, await keysOf(ctx, client), options);
  } catch (e) {
    // A key the cached set lacks: the client may have rotated; fetch its set again (rate-limited).
    if (!(e instanceof errors.JWKSNoMatchingKey) || !client.jwksUri) throw refusal(ctx, client, e);
    const fresh = await ctx.clientKeys.refetch(client.jwksUri).catch((f: unknown) => Promise.reject(refusal(ctx, client, f)));
    if (!fresh) throw refusal(ctx, client, e);
    return verifyWith(assertion, fresh, options).catch((f: unknown) => Promise.reject(refusal(ctx, client, f)));
  }
}

/** A client_secret_jwt client's secret, as the HMAC key; a secret that does not open is logged and refused. */
export function secretOf(ctx: AssertionContext, client: RegisteredClient): Uint8Array {
  if (!client.sealedSecret) throw invalidClient('the client has no secret');
  try {
    return new Uint8Array(ctx.keys.encryption.decrypt(clientSealedAs(client.id), client.sealedSecret));
  } catch (e) {
    ctx.logger.error({ event: 'client_assertion.secret_sealed', client: client.id, err: (e as Error).message }, 'a client secret does not decrypt: run `jwt-oidc keys reencrypt` with the secret it was sealed with');
    throw invalidClient('the client\'s secret cannot be used');
  }
}

export async function keysOf(ctx: AssertionContext, client: RegisteredClient): Promise<PublicJwkSet> {
  if (client.jwks) return client.jwks;
  if (!client.jwksUri) throw invalidClient('the client has no keys');
  try {
    return await ctx.clientKeys.get(client.jwksUri);
  } catch (e) {
    throw refusal(ctx, client, e);
  }
}

/** Verifies with the key of the set that fits the header; with each that fits when several do (no `kid`). */
export async function verifyWith(assertion: string, jwks: PublicJwkSet, options: JWTVerifyOptions): Promise<JWTPayload> {
  const keys = createLocalJWKSet(jwks as never) as JWTVerifyGetKey;
  try {
    return (await jwtVerify(assertion, keys, options)).payload;
  } catch (e) {
    if (!(e instanceof errors.JWKSMultipleMatchingKeys)) throw e;
    let last: unknown = e;
    for await (const key of e as unknown as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(assertion, key, options)).payload;
      } catch (f) {
        last = f;
      }
    }
    throw last;
  }
}

/** The `invalid_client` for a failure, with what went wrong; fetch failures are logged with their reason. */
function refusal(ctx: AssertionContext, client: RegisteredClient, e: unknown, algs: readonly string[] = ASSERTION_SIGNING_ALGS) {
  if (e instanceof JwksFetchError) {
    ctx.logger.warn({ event: 'client_assertion.jwks_unavailable', client: client.id, reason: e.reason, err: e.message }, 'client keys not fetched');
    return invalidClient('the client\'s keys could not be fetched from its jwks_uri');
  }
  if (e instanceof errors.JWTExpired) return invalidClient('the client assertion has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim = e.claim;
    if (claim === 'aud') return invalidClient('the client assertion\'s aud must be the issuer or the endpoint\'s URL');
    if (claim === 'iss' || claim === 'sub') return invalidClient('the client assertion\'s iss and sub must both be the client_id');
    return invalidClient(`the client assertion's ${claim} is missing or invalid`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) return invalidClient('no registered key of the client matches the client assertion');
  if (e instanceof errors.JOSEAlgNotAllowed) return invalidClient(`the client assertion must be signed with one of ${algs.join(', ')}`);
  if (e instanceof errors.JOSEError) return invalidClient('the client assertion\'s signature is invalid');
  return e;
}
