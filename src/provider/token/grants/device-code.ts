/**
 * The device code grant (RFC 8628 §3.4–§3.5): the device polls with its `device_code` until the
 * user has decided at the verification page. Each poll is recorded under the row's lock
 * (src/provider/stores/device-store.ts): sooner than the interval is `slow_down` and the interval
 * grows by 5 seconds; undecided is `authorization_pending`; past its life `expired_token`; refused
 * `access_denied`. An approved request made a grant with a code, which this grant redeems as the
 * code grant does — one conditional statement, so that of parallel polls one gets the tokens
 * (docs/SECURITY.md DV-01…).
 */
import { DEVICE_CODE_GRANT } from '../../../clients/client-service.js';
import { findActiveUser } from '../../../users/active-user.js';
import { OAuthError, invalidGrant, invalidRequest } from '../../errors.js';
import { grantTarget, resourceParam } from '../../resource-indicators.js';
import { countTokenFailure } from '../failures.js';
import type { GrantType } from '../grant-type.js';
import { userTokens } from '../issue.js';
import { mayRefresh, refreshBinding } from './authorization-code.js';

export { DEVICE_CODE_GRANT };

export const deviceCode: GrantType = {
  parameters: ['device_code'],

  async handler(ctx, client, params, req, dpop) {
    const code = params.get('device_code');
    if (!code) throw invalidRequest('device_code is missing');
    const record = await ctx.devices.poll(code);
    if (!record) {
      await countTokenFailure(ctx, req.ip); // guessing device codes, as codes (TK-13)
      throw invalidGrant('the device code is invalid');
    }
    // Another client's device code: refused, as another client's authorization code is.
    if (record.clientId !== client.id) throw invalidGrant('the device code was issued to another client');
    // At expires_at itself the code is gone (§3.5 expired_token).
    if (record.expiresAt <= ctx.clock.now() && record.status !== 'approved') throw new OAuthError('expired_token', 'the device code has expired: start again');
    if (record.status === 'denied') throw new OAuthError('access_denied', 'the user denied the request');
    if (record.status === 'pending') {
      if (record.slowDown) throw new OAuthError('slow_down', `polling too fast: wait ${record.interval} seconds between requests`);
      throw new OAuthError('authorization_pending', 'the user has not finished signing in yet');
    }
    const found = record.codeHash ? await ctx.grants.findCodeByDigest(record.codeHash) : undefined;
    if (!found) throw invalidGrant('the device code is no longer valid');
    if (found.consumedAt !== null) throw invalidGrant('the device code was already used');
    // Approved, but its tokens not taken in time: the code of the approval expires with the request.
    if (found.expiresAt <= ctx.clock.now()) throw new OAuthError('expired_token', 'the device code has expired: start again');
    const grant = await ctx.grants.findGrant(found.grantId);
    const user = grant ? await findActiveUser(ctx.orm, grant.userId) : null;
    if (!grant || grant.revokedAt !== null || !user) throw invalidGrant('the grant is no longer valid');
    // The token's resource (RFC 8707 §2.2), before the code is spent: a refused target keeps it.
    const target = await grantTarget(ctx, grant.resources, resourceParam(params), found.scope);
    const wantsRefresh = client.grantTypes.includes('refresh_token') && mayRefresh(client, found.scope);
    const redeemed = await ctx.grants.redeemCode(found, wantsRefresh ? ctx.settings.jwtRefreshTokenExpirationTime * 1000 : null, (target.ttl ?? ctx.settings.jwtAccessTokenExpirationTime) * 1000, refreshBinding(client, dpop));
    // A parallel poll took the tokens: this one gets none, and the grant stays (the device holds its tokens).
    if (redeemed === 'replayed') throw invalidGrant('the device code was already used');
    if (redeemed === 'grant-refused') throw invalidGrant('the grant is no longer valid');
    return userTokens(ctx, client, user, grant, found.scope, { refreshToken: redeemed.refreshToken, target, jkt: dpop?.jkt });
  },
};
