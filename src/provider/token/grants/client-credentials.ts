/**
 * The `client_credentials` grant (RFC 6749 §4.4): an access token for the client itself, no ID
 * token, no refresh token. `admin` only for clients with the admin flag; no `openid` (there is
 * no user). Without `resource` it costs no database statement: the client comes from the
 * in-memory registry. With one (RFC 8707 §2), the token is that registered resource's: its
 * scopes may be asked for, and only they are granted (docs/SECURITY.md RI-01, RI-03).
 */
import { invalidScope, invalidTarget } from '../../errors.js';
import { SCOPE_TOKEN, spaceList } from '../../params.js';
import { ADMIN_SCOPE } from '../../authorization/scopes.js';
import { registeredResources, resourceParam, resourceTarget } from '../../resource-indicators.js';
import type { GrantType } from '../grant-type.js';

export const clientCredentials: GrantType = {
  parameters: ['scope'],

  async handler(ctx, client, params, _req, dpop) {
    const requested = spaceList(params.get('scope'));
    if (requested.some((s) => !SCOPE_TOKEN.test(s))) throw invalidScope('scope is malformed');
    const resources = resourceParam(params);
    if (resources.length > 1) throw invalidTarget('one resource per access token: send one resource value');
    // The issuer names the provider's own token, as without a resource.
    const [resource] = resources[0] === undefined || resources[0] === ctx.issuer ? [] : await registeredResources(ctx.resources, resources);
    const allowed = new Set([...ctx.settings.apiScopes, ...(client.admin ? [ADMIN_SCOPE] : []), ...(resource?.scopes ?? [])]);
    const refused = requested.filter((s) => !allowed.has(s));
    if (refused.length) throw invalidScope(`not available to this client: ${refused.join(' ')}`);
    const scope = [...new Set(requested)].join(' ');
    const target = resource ? resourceTarget(resource, spaceList(scope), ctx.keys.signingAlgorithms()) : { scope };
    const at = await ctx.minter.accessToken({ sub: client.id, clientId: client.id, scope: target.scope, audiences: client.audiences, audience: target.audience, ttl: target.ttl, alg: target.alg, jkt: dpop?.jkt });
    return { access_token: at.token, token_type: dpop ? 'DPoP' : 'Bearer', expires_in: at.expiresIn, scope: target.scope };
  },
};
