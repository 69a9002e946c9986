/**
 * The subject and actor tokens of a token exchange (RFC 8693 §2.1), verified into the party they
 * stand for. Two sources only:
 *
 * - this provider's own access tokens, verified as every resource of ours verifies them
 *   (src/provider/access-token.ts: signature, issuer, audience — the issuer or the registered
 *   resource the token is for —, lifetime, not revoked, grant alive, user active), and its own
 *   ID tokens issued to the exchanging client;
 * - the RFC 9068 access tokens of an issuer the operator trusts
 *   (TOKEN_EXCHANGE_TRUSTED_ISSUERS), verified by @jwt-oidc/resource with that issuer's JWK Set,
 *   fetched safely (src/util/safe-fetch.ts) and cached; a subject is mapped to a local active user
 *   by the configured claim.
 *
 * Anything else is `invalid_grant` (§2.2.2), with a description that names the failed check,
 * never the token's contents (docs/SECURITY.md TE-04, TE-07).
 */
import { BearerError, boundKeyThumbprint, createAccessTokenVerifier } from '@jwt-oidc/resource';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { User } from '../../db/entities/user.js';
import { findActiveUser, findActiveUserBy } from '../../users/active-user.js';
import { CLOCK_TOLERANCE, providerTokenVerifier } from '../access-token.js';
import { verifyIdTokenHint } from '../authorization/hints.js';
import type { ProviderContext } from '../context.js';
import { invalidGrant, invalidRequest } from '../errors.js';

/** RFC 8693 §3: the token type identifiers this provider takes and issues. */
export const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

const ACCEPTED: readonly string[] = Object.values(TOKEN_TYPES);

/** The longest token read at all. */
const MAX_TOKEN_LENGTH = 8192;

/** Who a subject or actor token stands for. */
export interface ExchangeParty {
  /** The subject: a local user's id, or a client's for a client_credentials token; an actor of another issuer keeps its own. */
  sub: string;
  iss: string;
  /** `exp`, seconds. */
  exp: number;
  scopes: string[];
  /** The local user, for a user's token. */
  user?: User;
  /** The grant whose revocation ends the token (our own users' tokens). */
  grantId?: string;
  authTime?: number;
  acr?: string;
  amr?: string[];
  /** The token's own `act` (a token exchanged before) and `may_act` (RFC 8693 §4.1, §4.4). */
  act?: Record<string, unknown>;
  mayAct?: unknown;
  /** The DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1). */
  jkt?: string;
}

export type ExchangeTokenContext = Pick<ProviderContext, 'issuer' | 'settings' | 'clock' | 'logger' | 'keys' | 'clients' | 'grants' | 'orm' | 'resources' | 'exchangeIssuerKeys'>;

/** `role` names the token in descriptions: the subject token or the actor token. */
export async function verifyExchangeToken(ctx: ExchangeTokenContext, client: RegisteredClient, token: string, type: string, role: 'subject' | 'actor'): Promise<ExchangeParty> {
  if (!ACCEPTED.includes(type)) throw invalidRequest(`${role}_token_type is not one this provider accepts (${ACCEPTED.join(', ')})`);
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidGrant(`the ${role} token is invalid`);
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw invalidGrant(`the ${role} token is not a JWT`);
  }
  try {
    if (unverified.iss === ctx.issuer) return type === TOKEN_TYPES.idToken ? await ownIdToken(ctx, client, token, role) : await ownAccessToken(ctx, token, unverified, role);
    return await foreignToken(ctx, token, type, unverified, role);
  } catch (e) {
    if (e instanceof BearerError) throw invalidGrant(`the ${role} token is invalid: ${e.description ?? e.message}`);
    throw e;
  }
}

/** Our own access token, for the issuer or for the registered resource it names (RFC 8707). */
async function ownAccessToken(ctx: ExchangeTokenContext, token: string, unverified: JWTPayload, role: string): Promise<ExchangeParty> {
  const audiences = (Array.isArray(unverified.aud) ? unverified.aud : [unverified.aud]).filter((a): a is string => typeof a === 'string');
  let resource: { id: string; accessTokenLifetime: number | null } | undefined;
  if (!audiences.includes(ctx.issuer)) {
    [resource] = await ctx.resources.findMany(audiences.slice(0, 10));
    if (!resource) throw invalidGrant(`the ${role} token is for no audience of this provider`);
  }
  const verified = await providerTokenVerifier(ctx, resource)(token);
  const c = verified.claims;
  // A user's token has its active user (without a grant too: src/provider/access-token.ts).
  const user = verified.user;
  return {
    sub: verified.sub,
    iss: ctx.issuer,
    exp: c.exp!,
    scopes: verified.scopes,
    user,
    grantId: verified.grantId,
    authTime: typeof c.auth_time === 'number' ? c.auth_time : undefined,
    acr: typeof c.acr === 'string' ? c.acr : undefined,
    amr: Array.isArray(c.amr) ? c.amr.filter((a): a is string => typeof a === 'string') : undefined,
    act: actOf(c.act),
    mayAct: c.may_act,
    jkt: boundKeyThumbprint(c),
  };
}

/** Our own ID token, issued to this very client (OIDC Core §2 `aud`), not expired, of an active user. */
async function ownIdToken(ctx: ExchangeTokenContext, client: RegisteredClient, token: string, role: string): Promise<ExchangeParty> {
  const hint = await verifyIdTokenHint(ctx, token, client.id);
  if (!hint) throw invalidGrant(`the ${role} token is not an ID token of this provider for this client`);
  const c = decodeJwt(token);
  if (typeof c.exp !== 'number' || c.exp <= ctx.clock.now() / 1000 - CLOCK_TOLERANCE) throw invalidGrant(`the ${role} token has expired`);
  const user = await findActiveUser(ctx.orm, hint.sub);
  if (!user) throw invalidGrant(`the user of the ${role} token no longer exists or is disabled`);
  return { sub: hint.sub, iss: ctx.issuer, exp: c.exp, scopes: [], user, authTime: typeof c.auth_time === 'number' ? c.auth_time : undefined, acr: typeof c.acr === 'string' ? c.acr : undefined };
}

/** Another issuer's RFC 9068 access token, from a trusted issuer only. */
async function foreignToken(ctx: ExchangeTokenContext, token: string, type: string, unverified: JWTPayload, role: 'subject' | 'actor'): Promise<ExchangeParty> {
  const trusted = ctx.settings.tokenExchangeTrustedIssuers.find((t) => t.issuer === unverified.iss);
  if (!trusted) throw invalidGrant(`the ${role} token is not issued by this provider or an issuer it trusts`);
  if (type === TOKEN_TYPES.idToken) throw invalidGrant(`the ${role} token of another issuer must be an access token`);
  const verify = createAccessTokenVerifier({
    issuer: trusted.issuer,
    audience: trusted.audience,
    keys: trustedKeys(ctx, trusted.jwksUri),
    now: () => ctx.clock.now(),
    clockTolerance: CLOCK_TOLERANCE,
  });
  const verified = await verify(token);
  const c = verified.claims;
  const base = { iss: trusted.issuer, exp: c.exp!, scopes: verified.scopes, act: actOf(c.act), mayAct: c.may_act, jkt: boundKeyThumbprint(c) };
  // An actor of another issuer is named as that issuer names it (RFC 8693 §4.1 `iss` beside `sub`).
  if (role === 'actor') return { ...base, sub: verified.sub };
  const value = c[trusted.subject.claim];
  const user = typeof value === 'string' ? await findActiveUserBy(ctx.orm, trusted.subject.field, value) : null;
  if (!user) throw invalidGrant('the subject token names no active user of this provider');
  return { ...base, sub: user.id, user };
}

/**
 * The trusted issuer's keys: the cached set, fetched again once when a `kid` is missing (the
 * issuer rotated), at most once per interval (src/provider/token/client-jwks.ts). A set that
 * cannot be fetched is logged and refuses the token.
 */
function trustedKeys(ctx: ExchangeTokenContext, uri: string): JWTVerifyGetKey {
  return async (header, token) => {
    const load = async (fresh: boolean) => {
      try {
        return fresh ? await ctx.exchangeIssuerKeys.refetch(uri) : await ctx.exchangeIssuerKeys.get(uri);
      } catch (e) {
        ctx.logger.warn({ err: e, jwksUri: uri }, 'token exchange: the trusted issuer\'s key set could not be fetched');
        throw new BearerError('invalid_token', 'the keys of its issuer are unavailable');
      }
    };
    const set = await load(false);
    try {
      return await createLocalJWKSet(set as never)(header, token);
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
      const fresh = await load(true);
      if (!fresh) throw e;
      return createLocalJWKSet(fresh as never)(header, token);
    }
  };
}

/** An `act` claim: a JSON object, or nothing. */
function actOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
