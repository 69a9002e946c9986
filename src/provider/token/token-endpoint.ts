/**
 * The token endpoint (RFC 6749 §3.2): a form POST, client authentication, then the grant's own
 * module. Every answer is JSON with `Cache-Control: no-store`; errors hold `error` and
 * `error_description` only (RFC 6749 §5.2; docs/SECURITY.md TK-16).
 */
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { KeyUnavailableError } from '../../keys/errors.js';
import type { ProviderContext } from '../context.js';
import { OAuthError, invalidRequest } from '../errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from '../http-result.js';
import { formParams, requireSingle } from '../params.js';
import { databaseUnavailable } from '../unavailable.js';
import { authenticateClient, CLIENT_AUTH_PARAMETERS } from './client-auth.js';
import { GRANT_TYPES } from './grants/index.js';
import { audit } from '../../audit.js';
import { countTokenFailure } from './failures.js';
import { providerUrl } from '../context.js';
import { TOKEN_PATH } from '../discovery.js';

const COMMON = ['grant_type', ...CLIENT_AUTH_PARAMETERS];

export async function tokenEndpoint(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  // Known once read: what a refusal's audit event names (the client only once authenticated).
  let grantType: string | undefined;
  let grant: (typeof GRANT_TYPES)[string] | undefined;
  let clientId: string | undefined;
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const params = formParams(req);
    grantType = params.get('grant_type');
    grant = grantType !== undefined && Object.hasOwn(GRANT_TYPES, grantType) ? GRANT_TYPES[grantType] : undefined;
    requireSingle(params, [...COMMON, ...(grant?.parameters ?? [])]);
    const { client } = await authenticateClient(ctx, req, params);
    clientId = client.id;
    if (grantType === undefined) throw invalidRequest('grant_type is missing');
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
    if (!client.grantTypes.includes(grantType)) throw new OAuthError('unauthorized_client', `this client may not use ${grantType}`);
    // Only requests that passed client authentication and name a grant the client may use spend
    // its budget: anyone can send its (public) id with a bogus grant_type.
    rateLimit(ctx, client.id, req.ip);
    // RFC 9449 §5: a proof binds the access token to its key; a client registered with
    // dpop_bound_access_tokens (§5.2) must send one.
    const dpop = await ctx.dpop.proofAt(req, providerUrl(ctx, TOKEN_PATH));
    if (!dpop && client.requireDpop) throw new OAuthError('invalid_dpop_proof', 'this client must send a DPoP proof with its token requests (dpop_bound_access_tokens)');
    const response = await grant.handler(ctx, client, params, req, dpop);
    audit(ctx.logger, 'token.issued', { outcome: 'success', actor: client.id, client: client.id, grantType, ip: req.ip, ...(dpop ? { dpop: true } : {}) }, 'tokens issued');
    return ctx.dpop.withNonce(jsonResult(200, response));
  } catch (e) {
    // Invalid requests count against their address (wrong credentials, grants it may not use).
    if (e instanceof OAuthError && COUNTED.has(e.error)) await countTokenFailure(ctx, req.ip).catch((f: unknown) => ctx.logger.warn({ err: f }, 'token failure not counted'));
    // A rate-limited request has its own event; the grant type only if it is one (it is free text).
    // A request for a DPoP nonce is a step of the protocol (RFC 9449 §8), not a refusal worth an
    // event; so is a device's poll while its user has not decided yet (RFC 8628 §3.5).
    if (e instanceof OAuthError && !QUIET.has(e.error)) {
      audit(ctx.logger, 'token.refused', { outcome: 'refused', actor: clientId, client: clientId, grantType: grant ? grantType : undefined, error: e.error, ip: req.ip }, 'token request refused');
    }
    return ctx.dpop.withNonce(tokenError(ctx, e));
  }
}

/** Answers that are steps of a protocol, not refusals: no token.refused event. */
const QUIET = new Set(['too_many_requests', 'use_dpop_nonce', 'authorization_pending', 'slow_down']);

/** Errors that count as failures of their address (invalid_grant counts where a guess is told apart). */
const COUNTED = new Set(['invalid_client', 'unsupported_grant_type', 'unauthorized_client']);

/**
 * TOKEN_RATE_LIMIT: the token requests of an authenticated client, granted or refused by its
 * grant; per instance. Its pushed authorization requests (`endpoint` par) have a budget of the
 * same size of their own.
 */
export function rateLimit(ctx: Pick<ProviderContext, 'throttles' | 'logger'>, clientId: string, ip: string, endpoint: 'token' | 'par' | 'device' = 'token'): void {
  const limiter = ctx.throttles.tokenRequests;
  if (!limiter) return;
  const key = `${endpoint}-requests:${clientId}`;
  const wait = limiter.retryAfter(key);
  if (wait > 0) {
    audit(ctx.logger, 'token.rate_limited', { outcome: 'refused', actor: clientId, client: clientId, ip, ...(endpoint !== 'token' ? { endpoint } : {}) }, 'token rate limit reached');
    throw new OAuthError('too_many_requests', 'too many token requests; try again later', { retryAfter: wait });
  }
  limiter.fail(key);
}

export function tokenError(ctx: Pick<ProviderContext, 'logger' | 'issuer'>, e: unknown): HttpResult {
  if (isDatabaseUnavailable(e)) {
    ctx.logger.warn({ err: e }, 'token request failed: database unavailable');
    return databaseUnavailable('json');
  }
  // No key may sign right now (all retired, the next not active yet: README "Signing keys"):
  // a condition of the service that passes, not a fault of the request.
  if (e instanceof KeyUnavailableError) {
    ctx.logger.error({ err: e }, 'token request failed: no signing key');
    return databaseUnavailable('json');
  }
  if (!(e instanceof OAuthError)) {
    ctx.logger.error({ err: e }, 'token request failed');
    return jsonResult(500, { error: 'server_error', error_description: 'internal error' });
  }
  const headers: Record<string, string> = {};
  if (e.error === 'invalid_client') headers['WWW-Authenticate'] = `Basic realm="${ctx.issuer}", charset="UTF-8"`;
  if (e.retryAfter) headers['Retry-After'] = String(e.retryAfter);
  const status = e.error === 'too_many_requests' ? 429 : e.status;
  const body = e.error === 'too_many_requests' ? { error: 'invalid_request', error_description: e.description } : e.toJSON();
  return jsonResult(status, body, headers);
}
