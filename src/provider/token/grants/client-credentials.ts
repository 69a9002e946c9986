/**
 * The `client_credentials` grant (RFC 6749 §4.4): an access token for the client itself, no ID
 * token, no refresh token. `admin` only for clients with the admin flag; no `openid` (there is
 * no user). Costs no database statement: the client comes from the in-memory registry.
 */
import { invalidScope } from '../../errors.js';
import { SCOPE_TOKEN, spaceList } from '../../params.js';
import { ADMIN_SCOPE } from '../../authorization/scopes.js';
import type { GrantType } from '../grant-type.js';

export const clientCredentials: GrantType = {
  parameters: ['scope'],

  async handler(ctx, client, params) {
    const requested = spaceList(params.get('scope'));
    if (requested.some((s) => !SCOPE_TOKEN.test(s))) throw invalidScope('scope is malformed');
    const allowed = new Set([...ctx.settings.apiScopes, ...(client.admin ? [ADMIN_SCOPE] : [])]);
    const refused = requested.filter((s) => !allowed.has(s));
    if (refused.length) throw invalidScope(`not available to this client: ${refused.join(' ')}`);
    const scope = [...new Set(requested)].join(' ');
    const at = await ctx.minter.accessToken({ sub: client.id, clientId: client.id, scope, audiences: client.audiences });
    return { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, scope };
  },
};
