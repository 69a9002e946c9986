/**
 * The fake provider's userinfo (OIDC Core §5.3): the identity its access token was issued to —
 * `sub` and every claim that was typed — for tokens with the `openid` scope.
 */
import { jsonResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { bearerError, bearerToken } from '../provider/userinfo.js';
import { requireScopes } from '@jwt-oidc/resource';
import { identityClaims, type FakeContext } from './context.js';

export async function fakeUserinfo(ctx: FakeContext, req: ProviderRequest): Promise<HttpResult> {
  try {
    const verified = await ctx.verifyAccessToken(bearerToken(req));
    requireScopes(verified.scopes, [['openid']]);
    return jsonResult(200, identityClaims(ctx, verified));
  } catch (e) {
    return bearerError(ctx, e);
  }
}
