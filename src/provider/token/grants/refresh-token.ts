/**
 * The `refresh_token` grant (RFC 6749 §6). Refresh tokens are bound to their client, rotated on
 * every use, and a rotated one presented again revokes the whole grant (RFC 9700 §4.14.2); a
 * grant refreshes at most MAX_REFRESH times; scope may narrow, never widen (docs/SECURITY.md
 * TK-18…TK-22). The ID token keeps `iss`, `sub`, `aud`, `azp` and `auth_time` (OIDC Core §12.2).
 */
import { findActiveUser } from '../../../users/active-user.js';
import { isRestricted } from '../../authorization/client-extras.js';
import { invalidGrant, invalidRequest, invalidScope } from '../../errors.js';
import { SCOPE_TOKEN, spaceList } from '../../params.js';
import type { GrantType } from '../grant-type.js';
import { userTokens } from '../issue.js';
import { audit } from '../../../audit.js';
import { countTokenFailure } from '../failures.js';
import { grantTarget, resourceParam } from '../../resource-indicators.js';

export const refreshToken: GrantType = {
  parameters: ['refresh_token', 'scope'],

  async handler(ctx, client, params, req, dpop) {
    const token = params.get('refresh_token');
    if (!token) throw invalidRequest('refresh_token is missing');
    const found = await ctx.grants.findRefreshTokenWithGrant(token);
    if (!found) {
      await countTokenFailure(ctx, req.ip); // guessing refresh tokens (TK-13)
      throw invalidGrant('the refresh token is invalid');
    }
    const { record, grant } = found;
    // Another client's token: refused, and it keeps working for its owner (TK-18).
    if (record.clientId !== client.id) throw invalidGrant('the refresh token was issued to another client');
    if (record.rotatedAt !== null) return replay(record.grantId);
    if (record.expiresAt <= ctx.clock.now()) throw invalidGrant('the refresh token has expired');
    // A public client's refresh token bound to a DPoP key is used with a proof of that key only (RFC 9449 §5).
    if (record.dpopJkt !== null) {
      if (!dpop) throw invalidGrant('the refresh token is bound to a DPoP key: send a DPoP proof of it');
      if (dpop.jkt !== record.dpopJkt) throw invalidGrant('the DPoP proof is signed by another key than the refresh token is bound to');
    }

    const user = grant ? await findActiveUser(ctx.orm, grant.userId) : null;
    if (!grant || grant.revokedAt !== null || !user) throw invalidGrant('the grant is no longer valid');
    // A restriction added since the login applies from the next refresh on.
    if (isRestricted(client, user)) throw invalidGrant('this account may no longer use this application');

    const granted = spaceList(record.scope);
    const requested = params.get('scope');
    let scope = record.scope;
    if (requested !== undefined) {
      const wanted = spaceList(requested);
      if (wanted.length === 0 || wanted.some((s) => !SCOPE_TOKEN.test(s))) throw invalidScope('scope is malformed');
      if (wanted.some((s) => !granted.includes(s))) throw invalidScope('a refresh cannot widen the scope of the grant');
      scope = granted.filter((s) => wanted.includes(s)).join(' ');
    }

    // Any resource of the grant, never another (RFC 8707 §2.2; RI-02): decided before the token rotates.
    const target = await grantTarget(ctx, grant.resources, resourceParam(params), scope);

    // The new token keeps the grant's scope (RFC 6749 §6); the access token may be narrower.
    const { maxRefresh } = ctx.settings;
    const next = await ctx.grants.refresh(record, ctx.settings.jwtRefreshTokenExpirationTime * 1000, maxRefresh);
    if (next === 'replayed') return replay(record.grantId);
    if (next === 'grant-refused') {
      // Revoked since it was read, or used up: nothing was written.
      throw invalidGrant(maxRefresh !== null && grant.refreshCount >= maxRefresh - 1 ? `the grant has been refreshed ${maxRefresh} times, the most allowed: log in again` : 'the grant is no longer valid');
    }

    return userTokens(ctx, client, user, grant, scope, { refreshToken: next.refreshToken, target, jkt: dpop?.jkt });

    async function replay(grantId: string): Promise<never> {
      await ctx.grants.revoke(grantId);
      audit(ctx.logger, 'refresh.replay', { outcome: 'refused', actor: client.id, client: client.id, grant: grantId, ip: req.ip }, 'a rotated refresh token was used again: grant revoked');
      throw invalidGrant('the refresh token was already used');
    }
  },
};
