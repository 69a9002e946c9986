/**
 * Token revocation (RFC 7009). The client authenticates as at the token endpoint; it may revoke
 * only its own tokens. A refresh token takes its whole grant with it (and so every access token
 * of the grant); an access token is remembered as revoked by its `jti` until it expires. Unknown
 * tokens get the same empty 200 (RFC 7009 §2.2; docs/SECURITY.md RV-01).
 */
import type { ProviderContext } from './context.js';
import { OAuthError, invalidRequest } from './errors.js';
import { jsonResult, NO_STORE, type HttpResult, type ProviderRequest } from './http-result.js';
import { readParams, requireSingle } from './params.js';
import type { TokenTypesContext } from './token-types.js';
import { authenticateClient, CLIENT_AUTH_PARAMETERS, type AuthenticationContext } from './token/client-auth.js';
import { tokenError } from './token/token-endpoint.js';
import { identifyToken } from './token-types.js';
import { audit } from '../audit.js';

/** What revocation uses of the provider: client authentication and its grants. */
export type RevocationContext = AuthenticationContext & TokenTypesContext & Pick<ProviderContext, 'logger'>;

export async function revocationEndpoint(ctx: RevocationContext, req: ProviderRequest): Promise<HttpResult> {
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const params = readParams(req.body);
    requireSingle(params, ['token', 'token_type_hint', ...CLIENT_AUTH_PARAMETERS]);
    const { client } = await authenticateClient(ctx, req, params);
    const token = params.get('token');
    if (!token) throw invalidRequest('token is missing');
    const hint = params.get('token_type_hint');
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('invalid_request', 'token_type_hint must be access_token or refresh_token');

    const presented = await identifyToken(ctx, token);
    if (presented.kind === 'refresh_token') {
      if (presented.record.clientId !== client.id) throw new OAuthError('unauthorized_client', 'the token was issued to another client');
      await ctx.grants.revoke(presented.record.grantId);
      audit(ctx.logger, 'token.revoked', { outcome: 'success', kind: 'refresh_token', actor: client.id, client: client.id, grant: presented.record.grantId, ip: req.ip }, 'refresh token revoked: grant ended');
    } else if (presented.kind === 'access_token') {
      if (presented.clientId !== client.id) throw new OAuthError('unauthorized_client', 'the token was issued to another client');
      if (typeof presented.jti === 'string' && typeof presented.exp === 'number' && presented.exp * 1000 > ctx.clock.now()) {
        await ctx.grants.revokeAccessToken(presented.jti, presented.exp * 1000);
        audit(ctx.logger, 'token.revoked', { outcome: 'success', kind: 'access_token', actor: client.id, client: client.id, ip: req.ip }, 'access token revoked');
      }
    }
    return { status: 200, headers: { ...NO_STORE }, body: '' };
  } catch (e) {
    return tokenError(ctx, e);
  }
}
