/**
 * Pushed Authorization Requests (RFC 9126): a client POSTs its authorization request's
 * parameters to `/par`, authenticated as at the token endpoint (§2: the same methods,
 * src/provider/token/client-auth.ts), and gets a single-use `request_uri` to send the browser
 * to `/authorize` with. The parameters are validated as `/authorize` validates them
 * (src/provider/authorization/request.ts, §2.1) and every error is JSON (§2.3), never a redirect:
 * nothing has reached a browser yet. A request object (RFC 9101, §3) stands for the parameters
 * when one is pushed (src/provider/authorization/request-object.ts).
 */
import { audit } from '../../audit.js';
import type { ProviderContext } from '../context.js';
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { Settings } from '../../config/load.js';
import { OAuthError, UntrustedRedirectError, invalidRequest } from '../errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from '../http-result.js';
import { formParams, readParams, requireSingle, type Params, type RawParams } from '../params.js';
import { authenticateClient } from '../token/client-auth.js';
import { countTokenFailure } from '../token/failures.js';
import { rateLimit, tokenError } from '../token/token-endpoint.js';
import { REQUEST_URI_PREFIX, type PushedParams } from '../stores/pushed-request-store.js';
import { hasRequestObject, unpackRequestObject } from './request-object.js';
import { trustedClient, validateAuthorizationRequest } from './request.js';
import { providerUrl } from '../context.js';
import { PAR_PATH } from '../discovery.js';

/** Client authentication belongs to the push, not to the authorization request it carries. */
const CLIENT_AUTHENTICATION = ['client_secret', 'client_assertion', 'client_assertion_type'];

export async function pushedAuthorizationRequestEndpoint(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  let clientId: string | undefined;
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const params = formParams(req);
    requireSingle(params, ['client_id', ...CLIENT_AUTHENTICATION]);
    const { client } = await authenticateClient(ctx, req, params);
    clientId = client.id;
    // §2.1: a pushed request_uri is refused.
    requireSingle(params, ['request']);
    if (params.get('request_uri') !== undefined) throw invalidRequest('request_uri must not be pushed');
    rateLimit(ctx, client.id, req.ip, 'par');
    // §3: a request object's parameters alone, once it is verified as at /authorize (request-object.ts).
    const pushed = hasRequestObject(params) ? await unpackRequestObject(ctx, client, params.get('request')!) : pushedParams(req.body, client.id);
    // RFC 9449 §10.1: a DPoP proof at /par binds the code to its key, as dpop_jkt would; both must name one key.
    const dpop = await ctx.dpop.proofAt(req, providerUrl(ctx, PAR_PATH));
    if (dpop) {
      if (pushed.dpop_jkt !== undefined && pushed.dpop_jkt !== dpop.jkt) throw invalidRequest('dpop_jkt does not match the key of the DPoP proof');
      pushed.dpop_jkt = dpop.jkt;
    }
    // The authorization endpoint's own validation, with its errors answered here as JSON (§2.3).
    // Its client_id is the authenticated client's (pushedParams, request-object.ts parametersOf).
    validateAuthorizationRequest(readParams(pushed), (id) => (id === client.id ? client : undefined));
    const { requestUri, expiresIn } = await ctx.pushedRequests.push(client.id, pushed);
    audit(ctx.logger, 'par.pushed', { outcome: 'success', actor: client.id, client: client.id, ip: req.ip }, 'authorization request pushed');
    // §2.2: 201 Created with the request_uri and its lifetime in seconds.
    return ctx.dpop.withNonce(jsonResult(201, { request_uri: requestUri, expires_in: expiresIn }));
  } catch (e) {
    // Wrong credentials count against their address, as at the token endpoint (failures.ts).
    if (e instanceof OAuthError && e.error === 'invalid_client') await countTokenFailure(ctx, req.ip).catch((f: unknown) => ctx.logger.warn({ err: f }, 'token failure not counted'));
    if (e instanceof OAuthError && e.error !== 'too_many_requests') {
      audit(ctx.logger, 'par.refused', { outcome: 'refused', actor: clientId, client: clientId, error: e.error, ip: req.ip }, 'pushed authorization request refused');
    }
    return ctx.dpop.withNonce(tokenError(ctx, e));
  }
}

/**
 * What is kept of the push: its parameters as the form parser gave them (a repeated one stays a
 * list, so that /authorize refuses it as it would have), the client authentication removed, and
 * `client_id` set to the authenticated client (with Basic authentication it may be absent).
 */
function pushedParams(body: RawParams | undefined, clientId: string): PushedParams {
  const kept: PushedParams = {};
  for (const [name, value] of Object.entries(body ?? {})) {
    if (CLIENT_AUTHENTICATION.includes(name)) continue;
    if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) kept[name] = value;
  }
  kept.client_id = clientId;
  return kept;
}

/**
 * At `/authorize` (§4): when the request brings a `request_uri` of `/par`, the parameters it
 * stands for — taken once, and only by the client that pushed them; whatever else was sent
 * besides `client_id` is ignored. Undefined for a request without one (another `request_uri` is
 * refused by request.ts as before: request_uri_not_supported). Until the pushed parameters are
 * in hand no redirect_uri is trusted, so a bad request_uri is an error page.
 */
export async function pushedAuthorizationRequest(ctx: Pick<ProviderContext, 'clients' | 'pushedRequests'>, sent: Params): Promise<Params | undefined> {
  const requestUri = sent.get('request_uri');
  if (requestUri === undefined || !requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
  const clientId = sent.get('client_id');
  const known = clientId === undefined ? undefined : await ctx.clients.get(clientId);
  const client = trustedClient(sent, (id) => (id === clientId ? known : undefined));
  const pushed = await ctx.pushedRequests.take(requestUri, client.id);
  if (!pushed) throw new UntrustedRedirectError('invalid_request', 'request_uri is unknown, expired, already used, or not this client\'s', client);
  return readParams(pushed);
}

/** RFC 9126 §5, §6: JWT_OIDC_REQUIRE_PAR, or the client's `require_pushed_authorization_requests`. */
export function parRequired(settings: Pick<Settings, 'requirePar'>, client: Pick<RegisteredClient, 'requirePar'>): boolean {
  return settings.requirePar || client.requirePar;
}
