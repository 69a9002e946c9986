/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST: validate the
 * request, then answer at once (a live session, consent on record) or hand over to the pages —
 * built in, or a delegated login app (LOGIN_URL) — through an interaction bound to the browser.
 */
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import type { RegisteredClient } from '../../clients/client-registry.js';
import { isMetadataDocumentId } from '../../clients/client-service.js';
import { findActiveUser } from '../../users/active-user.js';
import { serializeCookie } from '../cookies.js';
import { waitInWords } from '../../util/wait-words.js';
import { providerUrl, type ProviderContext } from '../context.js';
import { OAuthError, UntrustedRedirectError, invalidRequest, invalidTarget } from '../errors.js';
import { registeredResources } from '../resource-indicators.js';
import { backTo, pageResult, redirectResult, type HttpResult, type ProviderRequest } from '../http-result.js';
import { databaseUnavailable } from '../unavailable.js';
import { readParams } from '../params.js';
import type { ProviderSession } from '../stores/session-store.js';
import { hasFactor } from '../../users/factor-store.js';
import type { FirstFactor } from '../stores/interaction-store.js';
import { mfaRequired, wantsMfa } from './acr.js';
import { claimScopes } from './claims-parameter.js';
import { completeAuthorization } from './complete.js';
import { verifyIdTokenHint, type IdTokenHint } from './hints.js';
import { parRequired, pushedAuthorizationRequest } from './par.js';
import { requestObjectParams } from './request-object.js';
import { AuthorizationRedirectError, validateAuthorizationRequest, type AuthorizationRequest } from './request.js';
import { authorizationResponse } from './response.js';
import { grantableScopes } from './scopes.js';
import { spendInteraction } from '../throttle/login-keys.js';

export const INTERACTION_PATH = '/interaction';

/**
 * The lookup of a request's client: `clientId` resolved first (a registered client, or the one
 * its metadata document describes, fetched unless cached). The validation that follows is
 * synchronous and asks for this client only (a request object's client_id must be it:
 * request-object.ts), so any other id is unknown.
 */
export async function clientLookup(ctx: Pick<ProviderContext, 'clients'>, clientId: string | undefined, ip: string): Promise<(id: string) => RegisteredClient | undefined> {
  const resolved = clientId === undefined ? undefined : await ctx.clients.resolve(clientId, ip);
  return (id) => (id === clientId ? resolved : undefined);
}

export async function authorize(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const sent = readParams(req.method === 'POST' ? req.body : req.query);
  try {
    // A pushed request (RFC 9126 §4): its request_uri stands for the parameters the client pushed.
    const pushed = await pushedAuthorizationRequest(ctx, sent);
    // A client known by its metadata document is fetched here, at its first contact (client-id-metadata.ts).
    const lookup = await clientLookup(ctx, (pushed ?? sent).get('client_id'), req.ip);
    // A request object (RFC 9101): its parameters alone, once it is verified (request-object.ts).
    const params = pushed ?? (await requestObjectParams(ctx, sent, lookup)) ?? sent;
    const { request: valid, client } = validateAuthorizationRequest(params, lookup);
    if (!pushed && parRequired(ctx.settings, client)) throw redirectError(valid, invalidRequest('this client must push its authorization requests to the pushed authorization request endpoint (RFC 9126)'));
    const request = await withResources(ctx, valid);
    let hint: IdTokenHint | undefined;
    if (request.idTokenHint !== undefined) {
      hint = await verifyIdTokenHint(ctx, request.idTokenHint, client.id);
      if (!hint) throw redirectError(request, invalidRequest('id_token_hint is not an ID token of this provider for this client'));
    }
    const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
    return await decide(ctx, request, client, session, hint, req.ip);
  } catch (e) {
    return authorizationError(ctx, e);
  }
}

/**
 * Every `resource` must be registered, else invalid_target at the redirect URI (RFC 8707 §2;
 * docs/SECURITY.md RI-01); their scopes become grantable. An access token from this endpoint is
 * for one audience, so `token` response types take one resource at most.
 */
async function withResources(ctx: ProviderContext, request: AuthorizationRequest): Promise<AuthorizationRequest> {
  if (!request.resources) return request;
  try {
    if (request.resources.length > 1 && request.responseType.split(' ').includes('token')) throw invalidTarget('an access token from the authorization endpoint is for one resource');
    const found = await registeredResources(ctx.resources, request.resources);
    return { ...request, resourceScopes: [...new Set(found.flatMap((r) => r.scopes))] };
  } catch (e) {
    if (e instanceof OAuthError) throw redirectError(request, e);
    throw e;
  }
}

/** What to do with a valid request, given the browser's session (the device page's confirmed request too). */
export async function decide(ctx: ProviderContext, request: AuthorizationRequest, client: RegisteredClient, found: ProviderSession | undefined, hint: IdTokenHint | undefined, ip: string): Promise<HttpResult> {
  const user = found ? await findActiveUser(ctx.orm, found.userId) : null;
  const session = user ? found : undefined;
  const none = request.prompt.includes('none');
  // A hint naming someone other than who is logged in: that someone must log in (AZ-22).
  const otherUser = user !== null && ((hint !== undefined && hint.sub !== user.id) || (request.requestedSub !== undefined && request.requestedSub !== user.id));
  if (!session || !user || needsLogin(ctx, request, session) || otherUser) {
    if (none) throw redirectError(request, new OAuthError('login_required', 'the user is not logged in'));
    // The session may not be continued, not even from the account-selection page (OIDC Core §3.1.2.1).
    return startInteraction(ctx, { ...request, offerSelect: false }, session, ip);
  }
  const policy = mfaRequired(ctx.settings, client);
  if ((policy || wantsMfa(request.acrValues)) && !session.amr.includes('mfa')) {
    // Step-up (docs/ACCOUNTS.md "Two-step sign-in"): the session's password stands, only the
    // second factor is asked — or, by policy (JWT_OIDC_MFA=required, the client's requireMfa),
    // set up by a user who has none; prompt=none cannot ask either (OIDC Core §3.1.2.6
    // interaction_required). acr_values alone, without a factor: completeAuthorization answers
    // unmet_authentication_requirements.
    const has = await hasFactor(ctx.orm.em, user.id);
    if (has || policy) {
      if (none) throw redirectError(request, new OAuthError('interaction_required', 'a second factor is required'));
      return startInteraction(ctx, { ...request, offerSelect: false }, session, ip, undefined, { userId: user.id, amr: session.amr, at: session.authTime, stepUp: true, ...(has ? {} : { enrol: true }) });
    }
  }
  if (request.prompt.includes('select_account')) return startInteraction(ctx, { ...request, offerSelect: true }, session, ip);
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes, request.resourceScopes);
  if (await needsConsent(ctx, request, client, user.id, scopes)) {
    if (none) throw redirectError(request, new OAuthError('consent_required', 'the user has not consented to this client'));
    return startInteraction(ctx, request, session, ip, { userId: user.id, authTime: session.authTime });
  }
  return completeAuthorization(ctx, request, client, user, session, scopes);
}

/** Whether the user must authenticate again: prompt=login, or max_age exceeded. */
export function needsLogin(ctx: ProviderContext, request: AuthorizationRequest, session: ProviderSession): boolean {
  if (request.prompt.includes('login')) return true;
  return request.maxAge !== undefined && ctx.clock.now() - session.authTime >= request.maxAge * 1000;
}

export async function needsConsent(ctx: ProviderContext, request: AuthorizationRequest, client: RegisteredClient, userId: string, scopes: string[]): Promise<boolean> {
  // A client nobody registered, known by its metadata document: the person decides each time (docs/SECURITY.md section Y).
  if (isMetadataDocumentId(client.id)) return true;
  if (client.firstParty) return false;
  if (request.prompt.includes('consent')) return true;
  const granted = await ctx.consents.granted(userId, client.id);
  return consentScopes(request, scopes).some((s) => !granted.has(s));
}

/**
 * What the user consents to: the scopes, and the scopes of the claims the `claims` parameter asks
 * for by name (OIDC Core §5.5), in whose words the consent page describes them (docs/SECURITY.md CL-05).
 */
export function consentScopes(request: AuthorizationRequest, scopes: string[]): string[] {
  return [...new Set([...scopes, ...claimScopes(request.claims)])];
}

/**
 * Parks the request in an interaction bound to this browser and sends the browser to the pages:
 * ours, or the delegated login app with the interaction as its `login_challenge`.
 */
async function startInteraction(ctx: ProviderContext, request: AuthorizationRequest, session: ProviderSession | undefined, ip: string, login?: { userId: string; authTime: number }, stepUp?: FirstFactor): Promise<HttpResult> {
  const wait = spendInteraction(ctx.throttles.interactions, ip);
  if (wait > 0) return tooManyRequests(wait);
  // The hint was checked already; only what the pages need is stored.
  const stored = { ...request, idTokenHint: undefined };
  const { uid, cookieValue } = await ctx.interactions.create(stored, session?.idHash ?? null, login, stepUp);
  const path = `${ctx.basePath}${INTERACTION_PATH}/${uid}`;
  const cookie = serializeCookie({ name: ctx.cookies.interaction, value: cookieValue, maxAge: 600, path, secure: ctx.cookies.secure, sameSite: 'Lax' });
  const loginUrl = ctx.settings.loginUrl;
  // A step-up asks the service's own second factor: the login app's sign-in is not repeated.
  if (loginUrl && !login && !stepUp && !(session && request.offerSelect)) {
    const target = new URL(loginUrl);
    target.searchParams.set('login_challenge', uid);
    return redirectResult(target.toString(), [cookie]);
  }
  return redirectResult(providerUrl(ctx, `${INTERACTION_PATH}/${uid}`), [cookie]);
}

export function redirectError(request: AuthorizationRequest, cause: OAuthError): AuthorizationRedirectError {
  return new AuthorizationRedirectError(cause, request.redirectUri, request.state, request.responseMode);
}

/** Errors of the authorization endpoint: to the trusted redirect URI in its mode, a page otherwise. */
export function authorizationError(ctx: ProviderContext, e: unknown): HttpResult {
  if (e instanceof AuthorizationRedirectError) {
    return authorizationResponse(e, { error: e.error, error_description: e.description, state: e.state, iss: ctx.issuer });
  }
  if (e instanceof UntrustedRedirectError) {
    return pageResult(400, { view: 'error', title: 'Sign-in request not valid', message: `The application sent a request that cannot be processed (${e.description}). Please go back and try again.`, back: backTo(e.client) });
  }
  if (isDatabaseUnavailable(e)) {
    ctx.logger.warn({ err: e }, 'authorization request failed: database unavailable');
    return databaseUnavailable('page');
  }
  ctx.logger.error({ err: e }, 'authorization request failed');
  return pageResult(500, { view: 'error', title: 'Something went wrong', message: 'The sign-in could not be completed. Please try again later.' });
}

/** INTERACTION_RATE_LIMIT reached: a page, never a redirect (nothing about the request is trusted yet to be worth one). */
export function tooManyRequests(wait: number): HttpResult {
  return pageResult(429, { view: 'error', title: 'Too many requests', message: `Too many sign-in requests from your network. Please try again in ${waitInWords(wait)}.` }, { 'Retry-After': String(wait) });
}
