/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the end_session_endpoint.
 * A verified request — an `id_token_hint` of ours (expired is fine) for the client named, whose
 * subject is the one logged in, and a `post_logout_redirect_uri` registered for that client,
 * compared exactly — logs out at once and returns to the client with `state`. Anything less
 * shows a confirmation page (POST with a CSRF token) and never redirects anywhere
 * (docs/SECURITY.md SE-08…SE-13). The whole provider session ends, as RP-Initiated Logout 1.0 §2
 * says, unless the client opted out (`logout_all` false: only its grants end); the pages say
 * which. Back-channel logout tells the clients.
 */
import { logoutRequestOf, type LogoutRequest } from './stores/interaction-request.js';
import { isPostLogoutRedirectUriOf, type RegisteredClient } from '../clients/client-registry.js';
import { serializeCookie } from './cookies.js';
import { tooManyRequests } from './authorization/authorize.js';
import { overLimit } from './authorization/limits.js';
import { spendInteraction } from './throttle/login-keys.js';
import { verifyIdTokenHint } from './authorization/hints.js';
import { notifyBackchannel, type BackchannelContext } from './backchannel.js';
import { providerUrl, type ProviderContext } from './context.js';
import { pageResult, redirectResult, type LogoutScope, withQuery, type HttpResult, type ProviderRequest } from './http-result.js';
import { readParams, requireSingle } from './params.js';
import type { ProviderSession } from './stores/session-store.js';
import { audit } from '../audit.js';
import { END_SESSION_CONFIRM_PATH } from './discovery.js';



/** What RP-initiated logout uses: the session and its grants, interactions for the confirmation, back-channel logout. */
export type EndSessionContext = BackchannelContext & Pick<ProviderContext, 'basePath' | 'cookies' | 'grants' | 'interactions' | 'sessions' | 'throttles'>;

export async function endSession(ctx: EndSessionContext, req: ProviderRequest): Promise<HttpResult> {
  const params = readParams(req.method === 'POST' ? req.body : req.query);
  try {
    requireSingle(params, ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales', 'logout_hint']);
    const long = overLimit({ state: params.get('state'), logout_hint: params.get('logout_hint'), ui_locales: params.get('ui_locales'), redirect_uri: params.get('post_logout_redirect_uri') });
    if (long) throw new Error(`${long} is too long`);
  } catch {
    return pageResult(400, { view: 'error', title: 'Sign-out request not valid', message: 'The application sent a request that cannot be processed.' });
  }
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  const hintToken = params.get('id_token_hint');
  const clientIdParam = params.get('client_id');
  const hint = hintToken ? await verifyIdTokenHint(ctx, hintToken, clientIdParam) : undefined;
  const clientId = clientIdParam ?? hint?.aud[0];
  const client = clientId ? await ctx.clients.get(clientId) : undefined;
  const uri = params.get('post_logout_redirect_uri');
  const registered = uri !== undefined && client !== undefined && isPostLogoutRedirectUriOf(client, uri);

  const verified = hint !== undefined && client !== undefined && (uri === undefined || registered) && (!session || session.userId === hint.sub);
  if (verified) {
    const cookies = await logout(ctx, session, client);
    const target = registered ? withQuery(uri!, { state: params.get('state') }) : undefined;
    return target ? redirectResult(target, cookies) : pageResult(200, { view: 'logged-out', signedOut: true, scope: scopeOf(client) }, {}, cookies);
  }

  // Cannot be verified: ask the user, in this browser, with a CSRF token; no redirect.
  const wait = spendInteraction(ctx.throttles.interactions, req.ip);
  if (wait > 0) return tooManyRequests(wait);
  const request: LogoutRequest = {
    kind: 'logout',
    clientId: hint !== undefined && client ? client.id : null,
    postLogoutRedirectUri: hint !== undefined && registered ? uri! : null,
    state: params.get('state') ?? null,
  };
  const { uid, cookieValue } = await ctx.interactions.create(request, session?.idHash ?? null);
  const csrfToken = await ctx.interactions.renewCsrf(uid);
  const cookie = serializeCookie({ name: ctx.cookies.interaction, value: cookieValue, maxAge: 600, path: `${ctx.basePath}${END_SESSION_CONFIRM_PATH}`, secure: ctx.cookies.secure, sameSite: 'Lax' });
  const action = `${providerUrl(ctx, END_SESSION_CONFIRM_PATH)}?uid=${uid}`;
  const named = request.clientId ? client : undefined;
  return pageResult(200, { view: 'logout-confirm', action, csrfToken, clientName: named?.name, scope: scopeOf(named) }, {}, [cookie]);
}

/** POST /session/end/confirm — the user's answer on the confirmation page. */
export async function confirmEndSession(ctx: EndSessionContext, req: ProviderRequest): Promise<HttpResult> {
  const form = readParams(req.body);
  const uid = readParams(req.query).get('uid') ?? '';
  const interaction = await ctx.interactions.find(uid, req.cookies.get(ctx.cookies.interaction), form.get('xsrf') ?? '');
  const request = logoutRequestOf(interaction?.request);
  if (!interaction || request?.kind !== 'logout' || !(await ctx.interactions.finish(uid))) {
    return pageResult(400, { view: 'error', title: 'Sign-out not confirmed', message: 'This sign-out request is not valid (invalid_request). You are still signed in.' });
  }
  // The interaction is over: its cookie goes with the answer, whichever it is.
  const spent = serializeCookie({ name: ctx.cookies.interaction, value: '', maxAge: 0, path: `${ctx.basePath}${END_SESSION_CONFIRM_PATH}`, secure: ctx.cookies.secure, sameSite: 'Lax' });
  if (form.get('logout') !== 'yes') return pageResult(200, { view: 'logged-out', signedOut: false }, {}, [spent]);
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  const client = request.clientId ? await ctx.clients.get(request.clientId) : undefined;
  const cookies = [...(await logout(ctx, session, client)), spent];
  if (request.postLogoutRedirectUri && client && isPostLogoutRedirectUriOf(client, request.postLogoutRedirectUri)) {
    return redirectResult(withQuery(request.postLogoutRedirectUri, { state: request.state ?? undefined }), cookies);
  }
  return pageResult(200, { view: 'logged-out', signedOut: true, scope: scopeOf(client) }, {}, cookies);
}

/** What `logout` ends for this client: the whole session unless the client opted out (`logout_all` false). */
function scopeOf(client: RegisteredClient | undefined): LogoutScope {
  return !client || client.logoutAll ? { whole: true } : { whole: false, clientName: client.name };
}

/**
 * Ends the session (and every grant made in it) — or, for a client without `logout_all`, only
 * that client's grants of the session. Returns the cookies to send.
 */
async function logout(ctx: EndSessionContext, session: ProviderSession | undefined, client: RegisteredClient | undefined): Promise<string[]> {
  if (!session) return [];
  const whole = !client || client.logoutAll;
  const ended = await ctx.grants.revokeBySession(session.sid, whole ? undefined : client.id);
  if (whole) await ctx.sessions.delete(session.idHash);
  audit(ctx.logger, 'logout', { outcome: 'success', actor: session.userId, client: client?.id, whole }, whole ? 'session ended' : 'client grants of the session ended');
  const notified = whole ? ended : ended.filter((id) => id === client!.id);
  void notifyBackchannel(ctx, notified, session.userId, session.sid).catch((e) => ctx.logger.warn({ err: e }, 'back-channel logout failed'));
  return whole ? [serializeCookie({ name: ctx.cookies.session, value: '', maxAge: 0, path: '/', secure: ctx.cookies.secure, sameSite: 'Lax' })] : [];
}
