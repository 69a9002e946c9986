/**
 * Token introspection (RFC 7662) for authenticated clients. A token is described only to the
 * client it was issued to (or, for an access token, a client among its audiences); everything
 * expired, revoked, foreign or unknown is `{"active": false}` and nothing else (RFC 7662 §2.2;
 * docs/SECURITY.md IN-01, IN-02).
 */
import { findActiveUser } from '../users/active-user.js';
import type { ProviderContext } from './context.js';
import { OAuthError, invalidClient, invalidRequest } from './errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from './http-result.js';
import { readParams, requireSingle } from './params.js';
import type { TokenTypesContext } from './token-types.js';
import { authenticateClient, CLIENT_AUTH_PARAMETERS, type AuthenticationContext } from './token/client-auth.js';
import { tokenError } from './token/token-endpoint.js';
import { identifyToken } from './token-types.js';
import { BearerError, boundKeyThumbprint } from '@jwt-oidc/resource';
import { providerTokenVerifier, type AccessTokenVerifierDeps, type ProviderAccessToken } from './access-token.js';

const INACTIVE = { active: false } as const;

/** What introspection uses of the provider: client authentication, its grants, users and access tokens. */
export type IntrospectionContext = AuthenticationContext & TokenTypesContext & AccessTokenVerifierDeps & Pick<ProviderContext, 'orm' | 'logger' | 'resources'>;

export async function introspectionEndpoint(ctx: IntrospectionContext, req: ProviderRequest): Promise<HttpResult> {
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const params = readParams(req.body);
    requireSingle(params, ['token', 'token_type_hint', ...CLIENT_AUTH_PARAMETERS]);
    const { client, method } = await authenticateClient(ctx, req, params);
    // A public client's id is no secret: it could scan tokens (RFC 7662 §4; docs/SECURITY.md IN-01).
    if (method === 'none' || client.isPublic) throw invalidClient('introspection requires client authentication (a secret or private_key_jwt)');
    const token = params.get('token');
    if (!token) throw invalidRequest('token is missing');
    const hint = params.get('token_type_hint');
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('invalid_request', 'token_type_hint must be access_token or refresh_token');
    return jsonResult(200, await describe(ctx, token, client.id));
  } catch (e) {
    return tokenError(ctx, e);
  }
}

/**
 * A token for a registered resource (RFC 8707) is not for the provider's own endpoints, so the
 * provider's verifier refused it; it is verified as its resource would, then checked for life as
 * the provider's own are. Undefined when it is no such token, or not alive.
 */
async function resourceToken(ctx: IntrospectionContext, token: string, audiences: string[]): Promise<ProviderAccessToken | undefined> {
  if (audiences.length !== 1) return undefined;
  const resource = await ctx.resources.find(audiences[0]!);
  if (!resource) return undefined;
  try {
    return await providerTokenVerifier(ctx, resource)(token);
  } catch (e) {
    if (e instanceof BearerError) return undefined;
    throw e;
  }
}

async function describe(ctx: IntrospectionContext, token: string, requester: string): Promise<Record<string, unknown>> {
  const presented = await identifyToken(ctx, token);
  if (presented.kind === 'access_token') {
    const v = presented.verified ?? (await resourceToken(ctx, token, presented.audiences));
    if (!v || (v.clientId !== requester && !presented.audiences.includes(requester))) return INACTIVE;
    const c = v.claims;
    // A DPoP-bound token says so, with its key's thumbprint for the resource server to check (RFC 9449 §6.2).
    const jkt = boundKeyThumbprint(c);
    return { active: true, token_type: jkt ? 'DPoP' : 'Bearer', scope: v.scopes.join(' '), client_id: v.clientId, sub: v.sub, username: v.user?.username, iss: c.iss, aud: c.aud, exp: c.exp, iat: c.iat, jti: c.jti, ...(jkt ? { cnf: { jkt } } : {}) };
  }
  if (presented.kind === 'refresh_token') {
    const r = presented.record;
    if (r.clientId !== requester || r.rotatedAt !== null || r.expiresAt <= ctx.clock.now()) return INACTIVE;
    const grant = await ctx.grants.findGrant(r.grantId);
    if (!grant || grant.revokedAt !== null) return INACTIVE;
    const user = await findActiveUser(ctx.orm, grant.userId);
    if (!user) return INACTIVE;
    return { active: true, token_type: 'refresh_token', scope: r.scope, client_id: r.clientId, sub: user.id, username: user.username, iss: ctx.issuer, exp: Math.floor(r.expiresAt / 1000) };
  }
  return INACTIVE;
}
