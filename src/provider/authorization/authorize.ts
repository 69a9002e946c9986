/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST: validate the
 * request, then either answer at once (a live session, consent on record) or hand over to the
 * login and consent pages through an interaction; finally issue a code bound to the client, the
 * redirect_uri and the PKCE challenge.
 */
import type { RegisteredClient } from '../../clients/client-registry.js';
import { User } from '../../db/entities/user.js';
import { serializeCookie } from '../../http/cookies.js';
import { errorPage } from '../../interaction/views/error.js';
import { PAGE_CSP } from '../../interaction/views/layout.js';
import { providerUrl, type ProviderContext } from '../context.js';
import { OAuthError, UntrustedRedirectError } from '../errors.js';
import { NO_STORE, redirectResult, withQuery, type HttpResult, type ProviderRequest } from '../http-result.js';
import { readParams } from '../params.js';
import type { ProviderSession } from '../stores/session-store.js';
import { AuthorizationRedirectError, validateAuthorizationRequest, type AuthorizationRequest } from './request.js';
import { grantableScopes } from './scopes.js';

export const INTERACTION_PATH = '/interaction';

export async function authorize(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  const params = readParams(req.method === 'POST' ? req.body : req.query);
  try {
    const { request, client } = validateAuthorizationRequest(params, (id) => ctx.clients.get(id));
    const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
    return await decide(ctx, request, client, session);
  } catch (e) {
    return authorizationError(ctx, e);
  }
}

/** What to do with a valid request, given the browser's session. */
async function decide(ctx: ProviderContext, request: AuthorizationRequest, client: RegisteredClient, session: ProviderSession | undefined): Promise<HttpResult> {
  const user = session ? await ctx.orm.em.fork().findOne(User, { id: session.userId, active: true }) : null;
  const login = needsLogin(ctx, request, user ? session : undefined);
  const none = request.prompt.includes('none');
  if (login) {
    if (none) throw redirectError(request, 'login_required', 'the user is not logged in');
    return startInteraction(ctx, request, session);
  }
  const scopes = grantableScopes(request.scopes, client, user!, ctx.settings.apiScopes);
  if (await needsConsent(ctx, request, client, user!.id, scopes)) {
    if (none) throw redirectError(request, 'consent_required', 'the user has not consented to this client');
    return startInteraction(ctx, request, session, { userId: user!.id, authTime: session!.authTime });
  }
  return issueCode(ctx, request, client, user!, session!, scopes);
}

/** Whether the user must (re-)authenticate: no session, prompt=login, or max_age exceeded. */
export function needsLogin(ctx: ProviderContext, request: AuthorizationRequest, session: ProviderSession | undefined): boolean {
  if (!session) return true;
  if (request.prompt.includes('login') || request.prompt.includes('select_account')) return true;
  if (request.maxAge !== undefined && ctx.clock.now() - session.authTime >= request.maxAge * 1000) return true;
  return false;
}

export async function needsConsent(ctx: ProviderContext, request: AuthorizationRequest, client: RegisteredClient, userId: string, scopes: string[]): Promise<boolean> {
  if (client.firstParty) return false;
  if (request.prompt.includes('consent')) return true;
  const granted = await ctx.consents.granted(userId, client.id);
  return scopes.some((s) => !granted.has(s));
}

/** Parks the request in an interaction bound to this browser and sends it to the pages. */
async function startInteraction(ctx: ProviderContext, request: AuthorizationRequest, session: ProviderSession | undefined, login?: { userId: string; authTime: number }): Promise<HttpResult> {
  const { uid, cookieValue } = await ctx.interactions.create(request as unknown as Record<string, unknown>, session?.idHash ?? null, login);
  const path = `${ctx.basePath}${INTERACTION_PATH}/${uid}`;
  const cookie = serializeCookie({ name: ctx.cookies.interaction, value: cookieValue, maxAge: 600, path, secure: ctx.cookies.secure, sameSite: 'Lax' });
  return redirectResult(providerUrl(ctx, `${INTERACTION_PATH}/${uid}`), [cookie]);
}

/** The end of a successful authorization: a code at the redirect URI, with state and iss. */
export async function issueCode(
  ctx: ProviderContext,
  request: AuthorizationRequest,
  client: RegisteredClient,
  user: User,
  session: Pick<ProviderSession, 'authTime' | 'sid' | 'amr'>,
  scopes: string[],
  setCookies: string[] = [],
): Promise<HttpResult> {
  const { code } = await ctx.grants.createWithCode(
    { clientId: client.id, userId: user.id, scope: scopes.join(' '), authTime: session.authTime, sid: session.sid, nonce: request.nonce ?? null, amr: session.amr },
    { redirectUri: request.redirectUriGiven ? request.redirectUri : null, codeChallenge: request.codeChallenge ?? null, ttlMs: ctx.settings.authorizationCodeExpirationTime * 1000 },
  );
  // RFC 9207: `iss` tells the client which provider answered (mix-up defence).
  return redirectResult(withQuery(request.redirectUri, { code, state: request.state, iss: ctx.issuer }), setCookies);
}

function redirectError(request: AuthorizationRequest, error: OAuthError['error'], description: string): AuthorizationRedirectError {
  return new AuthorizationRedirectError(new OAuthError(error, description), request.redirectUri, request.state);
}

/** Errors of the authorization endpoint: redirected when the target is trusted, a page otherwise. */
export function authorizationError(ctx: ProviderContext, e: unknown): HttpResult {
  if (e instanceof AuthorizationRedirectError) {
    return redirectResult(withQuery(e.redirectUri, { error: e.error, error_description: e.description, state: e.state, iss: ctx.issuer }));
  }
  if (e instanceof UntrustedRedirectError) {
    return htmlPage(400, errorPage({ title: 'Sign-in request not valid', message: `The application sent a request that cannot be processed (${e.description}). Please go back and try again.` }));
  }
  ctx.logger.error({ err: e }, 'authorization request failed');
  return htmlPage(500, errorPage({ title: 'Something went wrong', message: 'The sign-in could not be completed. Please try again later.' }));
}

/** An HTML page with its own strict policy: no script, no framing (SECURITY-CASES SE-06). */
export function htmlPage(status: number, html: string, extra: Record<string, string> = {}, setCookies: string[] = []): HttpResult {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'X-Frame-Options': 'DENY', ...NO_STORE, ...extra },
    body: html,
    setCookies,
  };
}
