/** The tokens of a user grant: an access token, and an ID token when `openid` was granted. */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { User } from '../../db/entities/user.js';
import type { ProviderContext } from '../context.js';
import { requestedClaims, userinfoClaims } from '../claims.js';
import { extraIdTokenClaims } from '../authorization/client-extras.js';
import { spaceList } from '../params.js';
import type { GrantRecord } from '../stores/grant-store.js';
import type { TokenResponse } from './grant-type.js';
import type { TokenTarget } from '../resource-indicators.js';

export async function userTokens(
  ctx: Pick<ProviderContext, 'minter' | 'claims'>,
  client: RegisteredClient,
  user: User,
  grant: GrantRecord,
  scope: string,
  options: { nonce?: string | null; refreshToken?: string; target?: TokenTarget; jkt?: string } = {},
): Promise<TokenResponse> {
  // The access token's audience and scope (src/provider/resource-indicators.ts); the ID token follows the grant's scope.
  const target = options.target ?? { scope };
  const at = await ctx.minter.accessToken({ sub: user.id, clientId: client.id, scope: target.scope, audiences: client.audiences, audience: target.audience, ttl: target.ttl, alg: target.alg, grantId: grant.id, authTime: grant.authTime, acr: grant.acr, amr: grant.amr, jkt: options.jkt });
  const response: TokenResponse = { access_token: at.token, token_type: options.jkt ? 'DPoP' : 'Bearer', expires_in: at.expiresIn, scope: target.scope };
  if (spaceList(scope).includes('openid')) {
    response.id_token = await ctx.minter.idToken({
      sub: user.id,
      clientId: client.id,
      authTime: grant.authTime,
      nonce: options.nonce,
      sid: grant.sid,
      acr: grant.acr,
      amr: grant.amr,
      accessToken: at.token,
      alg: client.idTokenSignedResponseAlg,
      extraClaims: {
        ...(ctx.claims.inIdToken ? await userinfoClaims(user, spaceList(scope), ctx.claims) : {}),
        // Asked for by name through the `claims` parameter and kept with the grant (OIDC Core §5.5).
        ...(await requestedClaims(user, grant.claims?.id_token ?? [], ctx.claims)),
        ...extraIdTokenClaims(client, user, spaceList(scope)),
      },
    });
  }
  if (options.refreshToken) response.refresh_token = options.refreshToken;
  return response;
}
