/**
 * The device authorization endpoint (RFC 8628 §3.1–§3.2): a client on a device without a
 * browser, authenticated as at the token endpoint (a public client with its `client_id` alone),
 * asks for a sign-in; it gets a `device_code` to poll the token endpoint with
 * (src/provider/token/grants/device-code.ts) and a `user_code` for the user to type at the
 * verification page (`/device`, src/interaction/device.ts). Only clients registered with the
 * grant type may ask. Errors are JSON as at the token endpoint (§3.2).
 */
import { audit } from '../audit.js';
import { DEVICE_CODE_GRANT } from '../clients/client-service.js';
import { providerUrl, type ProviderContext } from './context.js';
import { DEVICE_PATH } from './discovery.js';
import { OAuthError, invalidScope } from './errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from './http-result.js';
import { formParams, requireSingle, SCOPE_TOKEN, spaceList } from './params.js';
import { registeredResources, resourceParam } from './resource-indicators.js';
import { formatUserCode } from './stores/device-store.js';
import { authenticateClient, CLIENT_AUTH_PARAMETERS } from './token/client-auth.js';
import { countTokenFailure } from './token/failures.js';
import { rateLimit, tokenError } from './token/token-endpoint.js';

export async function deviceAuthorizationEndpoint(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  let clientId: string | undefined;
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const params = formParams(req);
    requireSingle(params, [...CLIENT_AUTH_PARAMETERS, 'scope']);
    const { client } = await authenticateClient(ctx, req, params);
    clientId = client.id;
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) throw new OAuthError('unauthorized_client', 'this client may not use the device authorization grant');
    rateLimit(ctx, client.id, req.ip, 'device');
    const scopes = spaceList(params.get('scope'));
    if (scopes.some((s) => !SCOPE_TOKEN.test(s))) throw invalidScope('scope is malformed');
    // RFC 8707: every resource must be registered (invalid_target otherwise); their scopes become grantable.
    const resources = resourceParam(params);
    await registeredResources(ctx.resources, resources);
    const lifetime = ctx.settings.deviceCodeLifetime;
    const interval = ctx.settings.deviceCodeInterval;
    const { deviceCode, userCode } = await ctx.devices.create({ clientId: client.id, scope: [...new Set(scopes)].join(' '), resources: resources.length ? resources : null, ttlSeconds: lifetime, interval });
    audit(ctx.logger, 'device.authorization', { outcome: 'success', actor: client.id, client: client.id, ip: req.ip }, 'device authorization requested');
    const verificationUri = providerUrl(ctx, DEVICE_PATH);
    const shown = formatUserCode(userCode);
    return jsonResult(200, {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      // §3.3.1: the user code in the URI (for a QR code); the page still asks the user to confirm it (§5.4).
      verification_uri_complete: `${verificationUri}?user_code=${shown}`,
      expires_in: lifetime,
      interval,
    });
  } catch (e) {
    if (e instanceof OAuthError && e.error === 'invalid_client') await countTokenFailure(ctx, req.ip).catch((f: unknown) => ctx.logger.warn({ err: f }, 'token failure not counted'));
    if (e instanceof OAuthError && e.error !== 'too_many_requests') {
      audit(ctx.logger, 'device.refused', { outcome: 'refused', actor: clientId, client: clientId, error: e.error, ip: req.ip }, 'device authorization refused');
    }
    return tokenError(ctx, e);
  }
}
