/**
 * The `authorization_code` grant (RFC 6749 §4.1.3, OIDC Core §3.1.3). A code works once, for
 * the client it was issued to, with the redirect_uri and PKCE verifier of its request; a second
 * use revokes everything the first one produced (RFC 6749 §4.1.2; docs/SECURITY.md TK-01…TK-08).
 */
import { isRedirectUriOf } from '../../../clients/client-registry.js';
import { findActiveUser } from '../../../users/active-user.js';
import { invalidGrant, invalidRequest } from '../../errors.js';
import type { GrantType } from '../grant-type.js';
import { checkCodeVerifier } from '../pkce.js';
import { userTokens } from '../issue.js';
import { audit } from '../../../audit.js';
import { countTokenFailure } from '../failures.js';
import { grantTarget, resourceParam } from '../../resource-indicators.js';

export const authorizationCode: GrantType = {
  parameters: ['code', 'redirect_uri', 'code_verifier'],

  async handler(ctx, client, params, req, dpop) {
    const code = params.get('code');
    if (!code) throw invalidRequest('code is missing');
    const record = await ctx.grants.findCode(code);
    if (!record) {
      await countTokenFailure(ctx, req.ip); // guessing codes (TK-13)
      throw invalidGrant('the code is invalid');
    }
    // Another client's code: refused without touching it (TK-03).
    if (record.clientId !== client.id) throw invalidGrant('the code was issued to another client');
    if (record.consumedAt !== null) return replay();
    if (record.expiresAt <= ctx.clock.now()) throw invalidGrant('the code has expired');

    const redirectUri = params.get('redirect_uri');
    if (record.redirectUri !== null) {
      if (redirectUri === undefined) throw invalidRequest('redirect_uri is required: the authorization request carried one');
      if (redirectUri !== record.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request');
    } else if (redirectUri !== undefined && !isRedirectUriOf(client, redirectUri)) {
      throw invalidGrant('redirect_uri does not match the authorization request');
    }

    checkCodeVerifier(record.codeChallenge, params.get('code_verifier'));
    // A code whose request named a DPoP key (`dpop_jkt`, RFC 9449 §10) is redeemed with a proof of that key only.
    if (record.dpopJkt !== null) {
      if (!dpop) throw invalidGrant('the authorization request named a DPoP key (dpop_jkt): send a DPoP proof of it');
      if (dpop.jkt !== record.dpopJkt) throw invalidGrant('the DPoP proof is signed by another key than the authorization request named (dpop_jkt)');
    }

    const grant = await ctx.grants.findGrant(record.grantId);
    const user = grant ? await findActiveUser(ctx.orm, grant.userId) : null;
    if (!grant || grant.revokedAt !== null || !user) throw invalidGrant('the grant is no longer valid');

    // The token's resource (RFC 8707 §2.2), before the code is spent: a refused target keeps it.
    const target = await grantTarget(ctx, grant.resources, resourceParam(params), record.scope);

    // Consume the code and store the refresh token together: all or nothing (TK-02).
    const wantsRefresh = client.grantTypes.includes('refresh_token') && mayRefresh(client, record.scope);
    const redeemed = await ctx.grants.redeemCode(record, wantsRefresh ? ctx.settings.jwtRefreshTokenExpirationTime * 1000 : null, (target.ttl ?? ctx.settings.jwtAccessTokenExpirationTime) * 1000, refreshBinding(client, dpop));
    // A parallel redemption won the race for this code.
    if (redeemed === 'replayed') return replay();
    if (redeemed === 'grant-refused') throw invalidGrant('the grant is no longer valid');
    return userTokens(ctx, client, user, grant, record.scope, { nonce: grant.nonce, refreshToken: redeemed.refreshToken, target, jkt: dpop?.jkt });

    async function replay(): Promise<never> {
      await ctx.grants.revoke(record!.grantId);
      audit(ctx.logger, 'code.replay', { outcome: 'refused', actor: client.id, client: client.id, grant: record!.grantId, ip: req.ip }, 'authorization code used twice: grant revoked');
      throw invalidGrant('the code was already used');
    }
  },
};

/**
 * The DPoP key a new refresh token is bound to: a public client's proof key (RFC 9449 §5); a
 * confidential client's refresh tokens are bound to its credentials already, and stay unbound.
 */
export function refreshBinding(client: { isPublic: boolean }, dpop: { jkt: string } | undefined): string | null {
  return client.isPublic && dpop ? dpop.jkt : null;
}

/**
 * A refresh token keeps access alive while the user is away: third-party and public clients get
 * one only for `offline_access`, which the user saw on the consent page (OIDC Core §11); a
 * confidential first-party client (the deployment's own app) gets one with its grant type.
 */
export function mayRefresh(client: { firstParty: boolean; isPublic: boolean }, scope: string): boolean {
  return (client.firstParty && !client.isPublic) || scope.split(' ').includes('offline_access');
}
