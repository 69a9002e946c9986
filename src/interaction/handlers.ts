/**
 * The built-in login and consent pages of an interaction (DESIGN §4.4). Each form post must come
 * from the browser that started the interaction (its cookie) with the form's CSRF token; logins
 * are throttled per account and per address, answer alike for unknown users and wrong passwords,
 * and start a session with a fresh id; every post ends in a 303 (SECURITY-CASES SE-01…SE-07).
 */
import { User } from '../db/entities/user.js';
import { serializeCookie } from '../http/cookies.js';
import { authorizationError, htmlPage, INTERACTION_PATH, issueCode, needsConsent } from '../provider/authorization/authorize.js';
import { AuthorizationRedirectError, type AuthorizationRequest } from '../provider/authorization/request.js';
import { grantableScopes } from '../provider/authorization/scopes.js';
import { providerUrl, type ProviderContext } from '../provider/context.js';
import { OAuthError } from '../provider/errors.js';
import { redirectResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams } from '../provider/params.js';
import { normalizeUsername } from '../users/user-service.js';
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from '../users/password.js';
import { consentPage } from './views/consent.js';
import { errorPage } from './views/error.js';
import { pageCsp } from './views/layout.js';
import { loginPage } from './views/login.js';

const EXPIRED = { title: 'Sign-in expired', message: 'This sign-in request is no longer valid. Go back to the application and start again.' };
const LOGIN_FAILED = 'Incorrect username or password.';

/** GET /interaction/:uid — the login page, or the consent page once logged in. */
export async function showInteraction(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const interaction = await ctx.interactions.find(uid, req.cookies.get(ctx.cookies.interaction));
  if (!interaction) return htmlPage(400, errorPage(EXPIRED));
  const request = interaction.request as unknown as AuthorizationRequest;
  const client = ctx.clients.get(request.clientId);
  if (!client) return htmlPage(400, errorPage(EXPIRED));
  const csrfToken = await ctx.interactions.renewCsrf(uid);
  const csp = { 'Content-Security-Policy': pageCsp(request.redirectUri) };
  if (!interaction.userId) {
    const action = providerUrl(ctx, `${INTERACTION_PATH}/${uid}/login`);
    return htmlPage(200, loginPage({ action, csrfToken, clientName: client.name, clientLogoUri: client.logoUri, username: request.loginHint }), csp);
  }
  const user = await ctx.orm.em.fork().findOne(User, { id: interaction.userId, active: true });
  if (!user) return htmlPage(400, errorPage(EXPIRED));
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes);
  const action = providerUrl(ctx, `${INTERACTION_PATH}/${uid}/consent`);
  return htmlPage(200, consentPage({ action, csrfToken, clientName: client.name, clientLogoUri: client.logoUri, username: user.username, scopes }), csp);
}

/** POST /interaction/:uid/login — username and password. */
export async function submitLogin(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const interaction = await ctx.interactions.find(uid, req.cookies.get(ctx.cookies.interaction), form.get('csrf') ?? '');
  if (!interaction || interaction.userId) return htmlPage(400, errorPage(EXPIRED));
  const request = interaction.request as unknown as AuthorizationRequest;
  const client = ctx.clients.get(request.clientId);
  if (!client) return htmlPage(400, errorPage(EXPIRED));

  const username = normalizeUsername(form.get('username') ?? '').slice(0, 150);
  const password = form.get('password') ?? '';
  const accountKey = `account:${username}`;
  const addressKey = `address:${req.ip}`;
  const rerender = async (status: number, error: string, extra: Record<string, string> = {}) =>
    htmlPage(
      status,
      loginPage({ action: providerUrl(ctx, `${INTERACTION_PATH}/${uid}/login`), csrfToken: await ctx.interactions.renewCsrf(uid), clientName: client.name, clientLogoUri: client.logoUri, username, error }),
      { 'Content-Security-Policy': pageCsp(request.redirectUri), ...extra },
    );

  // While throttled, not even the right password gets in (SE-04); the answer does not depend
  // on whether the account exists.
  const wait = Math.max(ctx.throttles.account.retryAfter(accountKey), ctx.throttles.address.retryAfter(addressKey));
  if (wait > 0) return rerender(429, `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`, { 'Retry-After': String(wait) });

  const user = username ? await ctx.orm.em.fork().findOne(User, { username }) : null;
  // The same scrypt work whether or not the user exists (no enumeration by timing: SE-05).
  const hash = user?.passwordHash ?? (await dummyPasswordHash());
  const valid = password.length > 0 && password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, hash)) && !!user?.passwordHash && user.active;
  if (!valid || !user) {
    ctx.throttles.account.fail(accountKey);
    ctx.throttles.address.fail(addressKey);
    ctx.logger.info({ event: 'login.failure', client: client.id, ip: req.ip }, 'login failed');
    return rerender(401, LOGIN_FAILED);
  }
  ctx.throttles.account.clear(accountKey);

  // A fresh session id at every login; a session the browser brought is ended (SE-01).
  await ctx.sessions.deleteByCookie(req.cookies.get(ctx.cookies.session));
  const { cookieValue, session } = await ctx.sessions.create(user.id, ctx.settings.sessionExpirationTime * 1000);
  const sessionCookie = serializeCookie({ name: ctx.cookies.session, value: cookieValue, maxAge: ctx.settings.sessionExpirationTime, path: '/', secure: ctx.cookies.secure, sameSite: 'Lax' });
  ctx.logger.info({ event: 'login.success', user: user.id, client: client.id, ip: req.ip }, 'login succeeded');

  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes);
  if (await needsConsent(ctx, request, client, user.id, scopes)) {
    await ctx.interactions.loggedIn(uid, user.id, session.authTime, session.idHash);
    return redirectResult(providerUrl(ctx, `${INTERACTION_PATH}/${uid}`), [sessionCookie]);
  }
  if (!(await ctx.interactions.finish(uid))) return htmlPage(400, errorPage(EXPIRED));
  return issueCode(ctx, request, client, user, session, scopes, [sessionCookie, clearInteractionCookie(ctx, uid)]);
}

/** POST /interaction/:uid/consent — decision=allow or decision=deny. */
export async function submitConsent(ctx: ProviderContext, req: ProviderRequest, uid: string): Promise<HttpResult> {
  const form = readParams(req.body);
  const interaction = await ctx.interactions.find(uid, req.cookies.get(ctx.cookies.interaction), form.get('csrf') ?? '');
  if (!interaction?.userId) return htmlPage(400, errorPage(EXPIRED));
  const request = interaction.request as unknown as AuthorizationRequest;
  const client = ctx.clients.get(request.clientId);
  // The browser's session must still be the one that logged in here: an account switched in
  // another tab must not consent for the first one (SE-03).
  const session = await ctx.sessions.find(req.cookies.get(ctx.cookies.session));
  if (!client || !session || session.idHash !== interaction.sessionHash || session.userId !== interaction.userId) {
    return htmlPage(400, errorPage({ title: 'Sign-in interrupted', message: 'You are no longer signed in as the same user. Go back to the application and start again.' }));
  }
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') return htmlPage(400, errorPage(EXPIRED));
  if (!(await ctx.interactions.finish(uid))) return htmlPage(400, errorPage(EXPIRED));
  const clear = [clearInteractionCookie(ctx, uid)];
  if (decision === 'deny') {
    ctx.logger.info({ event: 'consent.denied', user: session.userId, client: client.id }, 'consent denied');
    const denied = authorizationError(ctx, new AuthorizationRedirectError(new OAuthError('access_denied', 'the user denied the request'), request.redirectUri, request.state));
    return { ...denied, setCookies: clear };
  }
  const user = await ctx.orm.em.fork().findOne(User, { id: session.userId, active: true });
  if (!user) return htmlPage(400, errorPage(EXPIRED));
  const scopes = grantableScopes(request.scopes, client, user, ctx.settings.apiScopes);
  await ctx.consents.grant(user.id, client.id, scopes);
  ctx.logger.info({ event: 'consent.granted', user: user.id, client: client.id, scopes }, 'consent granted');
  return issueCode(ctx, request, client, user, session, scopes, clear);
}

function clearInteractionCookie(ctx: ProviderContext, uid: string): string {
  return serializeCookie({ name: ctx.cookies.interaction, value: '', maxAge: 0, path: `${ctx.basePath}${INTERACTION_PATH}/${uid}`, secure: ctx.cookies.secure, sameSite: 'Lax' });
}
