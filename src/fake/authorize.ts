/**
 * The fake provider's authorization endpoint (GET and POST) and its login form. The request is
 * checked like a real provider would (RFC 6749 §4.1.2.1): until `client_id` and `redirect_uri`
 * are trusted — the configured client, an absolute http(s) URI on an allowed origin — errors are
 * a page and never a redirect; after that they go back to the frontend. `code` needs S256 PKCE
 * unless a client secret is configured; ID tokens from this endpoint need a `nonce`.
 * `prompt=none` signs in as the browser's last identity, or answers `login_required`.
 */
import { htmlPage } from '../interaction/views/render.js';
import { safeEqual } from '../util/safe-equal.js';
import { randomBytes } from 'node:crypto';
import { serializeCookie } from '../provider/cookies.js';
import { authorizationResponse, defaultResponseMode, type ResponseMode } from '../provider/authorization/response.js';
import { pageCsp } from '../interaction/views/layout.js';
import { type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams, type Params } from '../provider/params.js';
import { isAllowedRedirect, type FakeContext } from './context.js';
import { IdentityError, identityFromForm, type FakeIdentity } from './identity.js';
import { issueTokens } from './tokens.js';
import { fakeLoginPage, fakeMessagePage } from './views.js';

export const FAKE_LOGIN_PATH = '/fake/login';
export const IDENTITY_COOKIE = 'jwt-oidc.fake-identity';
const CSRF_COOKIE = 'jwt-oidc.fake-csrf';
const RESPONSE_TYPES = new Set(['code', 'id_token', 'id_token token']);

interface AuthorizationRequest {
  redirectUri: string;
  responseType: string;
  responseMode: ResponseMode;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  prompt: string[];
}

type Checked = { ok: true; request: AuthorizationRequest } | { ok: false; result: HttpResult };

/** GET/POST /authorize. */
export async function fakeAuthorize(ctx: FakeContext, req: ProviderRequest): Promise<HttpResult> {
  const raw = req.method === 'POST' ? req.body : req.query;
  const checked = check(ctx, readParams(raw));
  if (!checked.ok) return checked.result;
  const { request } = checked;
  if (request.prompt.includes('none')) {
    const identity = ctx.identities.get(req.cookies.get(IDENTITY_COOKIE));
    return identity ? respond(ctx, request, identity) : error(ctx, request, 'login_required', 'nobody is signed in at the fake provider in this browser');
  }
  return loginPage(ctx, req, new URLSearchParams(flat(raw)).toString());
}

/** POST /fake/login: the identity typed (or clicked), then the response to the frontend. */
export async function fakeLogin(ctx: FakeContext, req: ProviderRequest): Promise<HttpResult> {
  const form = readParams(req.body);
  const requestText = form.get('request') ?? '';
  const checked = check(ctx, readParams(Object.fromEntries(new URLSearchParams(requestText))));
  if (!checked.ok) return checked.result;
  const csrf = req.cookies.get(CSRF_COOKIE) ?? '';
  if (!safeEqual(csrf, form.get('csrf') ?? '')) return htmlPage(400, fakeMessagePage('Sign-in expired', 'Start again from the application.'));
  let identity: FakeIdentity | undefined;
  const chosen = form.get('identity');
  if (chosen !== undefined) {
    identity = ctx.identities.get(chosen);
    if (!identity) return loginPage(ctx, req, requestText, { field: 'sub', message: 'That identity is no longer in the list: type it again.' });
  } else {
    const typed = { sub: form.get('sub'), email: form.get('email'), name: form.get('name'), claims: form.get('claims') };
    try {
      identity = identityFromForm(typed);
    } catch (e) {
      if (!(e instanceof IdentityError)) throw e;
      return loginPage(ctx, req, requestText, { field: e.field, message: e.message }, typed, 400);
    }
  }
  ctx.identities.remember(identity);
  ctx.logger.info({ event: 'fake.login', sub: identity.sub }, 'signed in at the fake provider');
  const cookie = serializeCookie({ name: IDENTITY_COOKIE, value: identity.id, maxAge: 30 * 86_400, path: '/', secure: ctx.secureCookies, sameSite: 'Lax' });
  return respond(ctx, checked.request, identity, [cookie]);
}

function check(ctx: FakeContext, params: Params): Checked {
  const page = (message: string): Checked => ({ ok: false, result: htmlPage(400, fakeMessagePage('Request not valid', message)) });
  const single = ['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt'];
  const bad = [...params.duplicates, ...params.malformed].find((n) => single.includes(n));
  if (bad === 'client_id' || bad === 'redirect_uri') return page(`${bad} was sent more than once.`);
  const clientId = params.get('client_id');
  if (clientId !== ctx.clientId) return page(`client_id must be "${ctx.clientId}" (JWT_OIDC_CLIENT_ID of the fake provider); got "${clientId ?? ''}".`);
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri || !isAllowedRedirect(ctx, redirectUri)) {
    return page('redirect_uri must be an absolute http(s) URI without a fragment, on an origin in JWT_OIDC_CORS_ALLOWED_ORIGINS (by default: localhost, 127.0.0.1 or [::1]).');
  }
  // Order does not matter (OAuth 2.0 Multiple Response Types §3): sorted, "token id_token" is "id_token token".
  const normalized = (params.get('response_type') ?? '').split(' ').filter(Boolean).sort().join(' ');
  const mode = params.get('response_mode');
  const responseMode: ResponseMode = mode === 'query' || mode === 'fragment' || mode === 'form_post' ? mode : defaultResponseMode(normalized);
  const request: AuthorizationRequest = {
    redirectUri,
    responseType: normalized,
    responseMode,
    scope: params.get('scope') ?? '',
    state: params.get('state'),
    nonce: params.get('nonce'),
    codeChallenge: params.get('code_challenge'),
    prompt: (params.get('prompt') ?? '').split(' ').filter(Boolean),
  };
  const fail = (code: string, description: string): Checked => ({ ok: false, result: error(ctx, request, code, description) });
  if (bad) return fail('invalid_request', `${bad} was sent more than once`);
  if (!RESPONSE_TYPES.has(normalized)) return fail('unsupported_response_type', 'the fake provider answers code, id_token and id_token token');
  // Tokens never travel in a query string (OAuth 2.0 Multiple Response Types §5).
  if (mode !== undefined && (mode !== responseMode || (normalized !== 'code' && mode === 'query'))) return fail('invalid_request', 'response_mode is not usable with this response_type');
  if (!request.scope.split(' ').includes('openid')) return fail('invalid_scope', 'the scope must include openid');
  if (normalized !== 'code' && !request.nonce) return fail('invalid_request', 'nonce is required when an ID token comes from the authorization endpoint');
  if (normalized === 'code') {
    if (request.codeChallenge !== undefined && params.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (request.codeChallenge !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(request.codeChallenge)) return fail('invalid_request', 'code_challenge is not a S256 challenge');
    if (request.codeChallenge === undefined && ctx.clientSecret === undefined) return fail('invalid_request', 'PKCE (S256) is required: the client has no secret');
  }
  if (request.prompt.includes('none') && request.prompt.length > 1) return fail('invalid_request', 'prompt=none cannot be combined');
  return { ok: true, request };
}


function respond(ctx: FakeContext, request: AuthorizationRequest, identity: FakeIdentity, cookies: string[] = []): HttpResult {
  const authTime = Math.floor(ctx.now() / 1000);
  if (request.responseType === 'code') {
    const code = ctx.codes.issue({ redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, nonce: request.nonce, scope: request.scope, identity, authTime });
    return authorizationResponse(request, { code, state: request.state, iss: ctx.issuer }, cookies);
  }
  const tokens = issueTokens(ctx, { identity, scope: request.scope, authTime, nonce: request.nonce });
  const fields: Record<string, string | undefined> = { id_token: tokens.id_token, state: request.state, iss: ctx.issuer };
  if (request.responseType === 'id_token token') Object.assign(fields, { access_token: tokens.access_token, token_type: 'Bearer', expires_in: String(tokens.expires_in), scope: tokens.scope });
  return authorizationResponse(request, fields, cookies);
}

function error(ctx: FakeContext, request: AuthorizationRequest, code: string, description: string): HttpResult {
  return authorizationResponse(request, { error: code, error_description: description, state: request.state, iss: ctx.issuer });
}

function loginPage(ctx: FakeContext, req: ProviderRequest, requestText: string, error?: { field: string; message: string }, typed?: Record<string, string | undefined>, status = 200): HttpResult {
  const csrf = req.cookies.get(CSRF_COOKIE) ?? randomBytes(24).toString('base64url');
  const cookie = serializeCookie({ name: CSRF_COOKIE, value: csrf, maxAge: undefined, path: '/', secure: ctx.secureCookies, sameSite: 'Lax' });
  const redirect = readParams(Object.fromEntries(new URLSearchParams(requestText))).get('redirect_uri');
  const body = fakeLoginPage({ action: `${new URL(ctx.issuer).pathname.replace(/\/$/, '')}${FAKE_LOGIN_PATH}`, request: requestText, csrfToken: csrf, recent: ctx.identities.all(), clientId: ctx.clientId, error, typed });
  // The form's POST ends in a redirect to the frontend: allow that origin as a form target.
  return htmlPage(status, body, { 'Content-Security-Policy': pageCsp(redirect) }, [cookie]);
}

/** Form or query values as strings; anything else was refused by `check` already. */
function flat(raw: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(raw ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
