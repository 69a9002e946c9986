/**
 * The fake provider's token endpoint: `authorization_code` only, from a form body (RFC 6749
 * §4.1.3) or, for frontends that send one, a JSON body. The client is the configured one —
 * public with PKCE, or with the configured secret (basic or post) — and the code works once,
 * with the redirect URI and verifier of its request.
 */
import { safeEqual } from '../util/safe-equal.js';
import { OAuthError, invalidClient, invalidGrant, invalidRequest } from '../provider/errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from '../provider/http-result.js';
import { readParams, requireSingle } from '../provider/params.js';
import { parseBasic } from '../provider/token/client-auth.js';
import { checkCodeVerifier } from '../provider/token/pkce.js';
import { tokenError } from '../provider/token/token-endpoint.js';
import type { FakeContext } from './context.js';
import { issueTokens } from './tokens.js';

export async function fakeToken(ctx: FakeContext, req: ProviderRequest): Promise<HttpResult> {
  try {
    if (req.method !== 'POST') return jsonResult(405, { error: 'invalid_request', error_description: 'use POST' }, { Allow: 'POST' });
    const type = req.header('content-type') ?? '';
    if (!/^application\/(x-www-form-urlencoded|json)\b/i.test(type) || !req.body) throw invalidRequest('the body must be application/x-www-form-urlencoded (or JSON)');
    const params = readParams(req.body);
    requireSingle(params, ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'client_id', 'client_secret']);
    authenticate(ctx, req, params.get('client_id'), params.get('client_secret'));
    const grantType = params.get('grant_type');
    if (grantType === undefined) throw invalidRequest('grant_type is missing');
    if (grantType !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'the fake provider supports authorization_code only');
    const code = params.get('code');
    if (!code) throw invalidRequest('code is missing');
    const grant = ctx.codes.take(code);
    if (!grant) throw invalidGrant('the code is unknown, expired or already used');
    if (params.get('redirect_uri') !== grant.redirectUri) throw invalidGrant('redirect_uri does not match the authorization request');
    checkCodeVerifier(grant.codeChallenge, params.get('code_verifier'));
    return jsonResult(200, issueTokens(ctx, { identity: grant.identity, scope: grant.scope, authTime: grant.authTime, nonce: grant.nonce }));
  } catch (e) {
    return tokenError(ctx, e);
  }
}

function authenticate(ctx: FakeContext, req: ProviderRequest, bodyId: string | undefined, bodySecret: string | undefined): void {
  const basic = parseBasic(req.header('authorization'));
  if (basic && bodySecret !== undefined) throw invalidRequest('use one client authentication method, not several');
  const id = basic?.id ?? bodyId;
  const secret = basic?.secret ?? bodySecret;
  if (id !== ctx.clientId) throw invalidClient(`client_id must be "${ctx.clientId}"`);
  if (ctx.clientSecret === undefined) {
    if (secret !== undefined) throw invalidClient('the client is public: send no secret');
    return;
  }
  if (!safeEqual(secret ?? '', ctx.clientSecret)) throw invalidClient();
}
