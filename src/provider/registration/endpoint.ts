/**
 * Dynamic Client Registration (RFC 7591) at `/register` and its management (RFC 7592) at
 * `/register/<client_id>`, under JWT_OIDC_REGISTRATION_POLICY (README "Dynamic client
 * registration"; docs/SECURITY.md section X). Metadata are validated by the client service as
 * for `jwt-oidc clients create`; its refusals become `invalid_redirect_uri` or
 * `invalid_client_metadata` (§3.2.2). Redirect URIs are stored, never fetched.
 */
import { randomBytes } from 'node:crypto';
import { audit } from '../../audit.js';
import { ClientError, ClientService, hashSecret } from '../../clients/client-service.js';
import { InitialAccessTokenStore } from '../../clients/initial-access-token-store.js';
import type { Client } from '../../db/entities/client.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { sha256 } from '../../util/digest.js';
import { safeEqual } from '../../util/safe-equal.js';
import type { ProviderContext } from '../context.js';
import { endpointUrl, REGISTRATION_PATH } from '../discovery.js';
import { jsonResult, type HttpResult, type ProviderRequest } from '../http-result.js';
import { addressKey } from '../throttle/login-keys.js';
import { databaseUnavailable } from '../unavailable.js';
import { describeProblem, registeredMetadata, serviceInput } from './metadata.js';

export type RegistrationContext = Pick<ProviderContext, 'settings' | 'orm' | 'clock' | 'clients' | 'logger' | 'issuer' | 'throttles' | 'keys'>;

/** An answer that ends the request: the RFC 7591 §3.2.2 / RFC 6750 §3 error, with its status. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const invalidMetadata = (description: string) => new Refusal(400, 'invalid_client_metadata', description);
/** RFC 6750 §3.1: the same answer for a missing, unknown, expired or another client's token, so that none tells whether a client exists. */
const invalidToken = (ctx: RegistrationContext) => new Refusal(401, 'invalid_token', 'the access token is missing, invalid or expired', { 'WWW-Authenticate': `Bearer realm="${ctx.issuer}", error="invalid_token"` });

function service(ctx: RegistrationContext): ClientService {
  return new ClientService(ctx.orm.em, (id) => ctx.clients.changed(id), async () => ctx.keys.encryption);
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1), or undefined. */
function bearer(req: ProviderRequest): string | undefined {
  const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(req.header('authorization') ?? '');
  return m?.[1];
}

/** A JSON object body (§3.1), or a refusal. */
function jsonBody(req: ProviderRequest): Record<string, unknown> {
  if (!/^application\/json\b/i.test(req.header('content-type') ?? '') || !req.body || Array.isArray(req.body)) throw invalidMetadata('the body must be a JSON object of client metadata (application/json)');
  return req.body;
}

/** JWT_OIDC_REGISTRATION_RATE_LIMIT: every registration attempt counts against its address. */
function rateLimit(ctx: RegistrationContext, ip: string): void {
  const limiter = ctx.throttles.registrations;
  if (!limiter) return;
  const key = `register:${addressKey(ip)}`;
  const wait = limiter.retryAfter(key);
  if (wait > 0) throw new Refusal(429, 'invalid_request', 'too many registrations from this address; try again later', { 'Retry-After': String(wait) });
  limiter.fail(key);
}

/** POST /register (RFC 7591 §3.1). */
export async function registrationEndpoint(ctx: RegistrationContext, req: ProviderRequest): Promise<HttpResult> {
  const policy = ctx.settings.registrationPolicy;
  if (policy === 'off') return jsonResult(404, { error: 'invalid_request', error_description: 'dynamic client registration is off' });
  if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
  let spent: string | undefined;
  const tokens = new InitialAccessTokenStore(ctx.orm.em, ctx.clock);
  try {
    rateLimit(ctx, req.ip);
    const body = jsonBody(req);
    if (policy === 'initial-token') {
      const token = bearer(req);
      // One conditional UPDATE per use: a burst never spends more uses than the token has.
      if (!token || !(await tokens.use(token))) throw invalidToken(ctx);
      spent = token;
    }
    // `open`: public clients only (PKCE), the method defaulting to none there.
    const input = serviceInput(body, policy === 'open' ? 'none' : undefined);
    if (policy === 'open' && input.tokenEndpointAuthMethod !== 'none') throw invalidMetadata('token_endpoint_auth_method: open registration makes public clients only (none)');
    const registrationToken = randomBytes(32).toString('base64url');
    const { client, secret } = await service(ctx).create(input, hashSecret(registrationToken));
    audit(ctx.logger, 'client.registered', { outcome: 'success', actor: client.id, client: client.id, ip: req.ip, policy }, 'client registered');
    return jsonResult(201, {
      ...registeredMetadata(client),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      ...management(ctx, client, registrationToken),
    });
  } catch (e) {
    if (spent && e instanceof ClientError) await tokens.refund(spent).catch((f: unknown) => ctx.logger.warn({ err: f }, 'initial access token use not refunded'));
    return refused(ctx, req, e, 'client.registration_refused');
  }
}

/** RFC 7592 §3: where and with what the client manages itself. */
function management(ctx: RegistrationContext, client: Client, registrationToken: string) {
  return { registration_access_token: registrationToken, registration_client_uri: endpointUrl(ctx.issuer, `${REGISTRATION_PATH}/${encodeURIComponent(client.id)}`) };
}

/** GET, PUT, DELETE /register/<client_id> with the client's registration access token (RFC 7592 §2). */
export async function registrationManagementEndpoint(ctx: RegistrationContext, req: ProviderRequest, clientId: string): Promise<HttpResult> {
  if (ctx.settings.registrationPolicy === 'off') return jsonResult(404, { error: 'invalid_request', error_description: 'dynamic client registration is off' });
  if (!['GET', 'PUT', 'DELETE'].includes(req.method)) return jsonResult(405, { error: 'invalid_request', error_description: 'use GET, PUT or DELETE' }, { Allow: 'GET, PUT, DELETE' });
  try {
    const token = bearer(req);
    const client = token ? await service(ctx).find(clientId) : null;
    // Clients made by administrators have no registration access token: never managed here.
    if (!token || !client?.registrationTokenHash || !safeEqual(sha256(token), client.registrationTokenHash)) throw invalidToken(ctx);
    if (req.method === 'GET') return jsonResult(200, { ...registeredMetadata(client), ...management(ctx, client, token) });
    if (req.method === 'DELETE') {
      await service(ctx).delete(client.id);
      audit(ctx.logger, 'client.registration_deleted', { outcome: 'success', actor: client.id, client: client.id, ip: req.ip }, 'registered client deleted');
      return { status: 204, headers: { 'Cache-Control': 'no-store' } };
    }
    const body = jsonBody(req);
    // §2.2: the client_id must be the client's; the secret cannot be changed this way.
    if (body.client_id !== client.id) throw invalidMetadata('client_id: must be this client\'s');
    if (body.client_secret !== undefined && (typeof body.client_secret !== 'string' || !client.secretHash || !safeEqual(hashSecret(body.client_secret), client.secretHash))) {
      throw invalidMetadata('client_secret: cannot be changed here');
    }
    const { name, ...rest } = serviceInput(body, undefined);
    const updated = await service(ctx).update(client.id, { ...rest, name });
    audit(ctx.logger, 'client.registration_updated', { outcome: 'success', actor: client.id, client: client.id, ip: req.ip }, 'registered client updated');
    return jsonResult(200, { ...registeredMetadata(updated), ...management(ctx, updated, token) });
  } catch (e) {
    // A client deleted meanwhile is one the token no longer reaches.
    if (e instanceof ClientError && e.code === 'ERR_CLIENT_NOT_FOUND') e = invalidToken(ctx);
    return refused(ctx, req, e, 'client.registration_refused', clientId);
  }
}

function refused(ctx: RegistrationContext, req: ProviderRequest, e: unknown, event: 'client.registration_refused', clientId?: string): HttpResult {
  if (isDatabaseUnavailable(e)) {
    ctx.logger.warn({ err: e }, 'registration failed: database unavailable');
    return databaseUnavailable('json');
  }
  let answer: Refusal;
  if (e instanceof Refusal) answer = e;
  else if (e instanceof ClientError) answer = new Refusal(400, e.oauthError, describeProblem(e.message));
  else {
    ctx.logger.error({ err: e }, 'registration failed');
    return jsonResult(500, { error: 'server_error', error_description: 'internal error' });
  }
  // The flood itself is not written down once per request.
  if (answer.status !== 429) audit(ctx.logger, event, { outcome: 'refused', ip: req.ip, error: answer.error, method: req.method, ...(clientId && answer.status !== 401 ? { client: clientId } : {}) }, 'client registration refused');
  return jsonResult(answer.status, { error: answer.error, error_description: answer.description }, answer.headers);
}
