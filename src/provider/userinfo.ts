/**
 * The UserInfo endpoint (OIDC Core §5.3), GET and POST. The bearer token comes in the
 * Authorization header or, with POST, in the form body, and only one of the two (RFC 6750 §2);
 * never in the query. Errors are RFC 6750 §3 challenges. Only tokens of a user with the `openid`
 * scope get claims (SECURITY-CASES UI-01…UI-05).
 */
import { userinfoClaims } from './claims.js';
import type { ProviderContext } from './context.js';
import { OAuthError, invalidRequest, invalidToken } from './errors.js';
import { jsonResult, type HttpResult, type ProviderRequest } from './http-result.js';
import { verifyAccessToken } from './access-token.js';
import { readParams } from './params.js';


export async function userinfoEndpoint(ctx: ProviderContext, req: ProviderRequest): Promise<HttpResult> {
  try {
    const token = bearerToken(req);
    const verified = await verifyAccessToken(ctx, token);
    if (!verified.user) throw invalidToken('this token was issued to a client, not to a user');
    if (!verified.scopes.includes('openid')) throw new OAuthError('insufficient_scope', 'the openid scope is required', { scope: 'openid' });
    return jsonResult(200, await userinfoClaims(verified.user, verified.scopes, ctx.claims));
  } catch (e) {
    return bearerError(ctx, e);
  }
}

/** The one bearer token of the request; RFC 6750 §2.1 (header) and §2.2 (form body). */
export function bearerToken(req: ProviderRequest): string {
  const header = req.header('authorization');
  const form = req.method === 'POST' ? readParams(req.body) : undefined;
  const query = readParams(req.query);
  // Present counts, empty or not: `access_token=` in the body is a second method too.
  const inBody = form !== undefined && Object.hasOwn(req.body ?? {}, 'access_token') ? (form.get('access_token') ?? '') : undefined;
  const inQuery = query.get('access_token') !== undefined || query.duplicates.includes('access_token') || 'access_token' in req.query;
  const bearer = header !== undefined && /^bearer(\s|$)/i.test(header.trim());
  const methods = [bearer, inBody !== undefined, inQuery].filter(Boolean).length;
  if (methods > 1) throw invalidRequest('send the access token one way only');
  if (inQuery) throw invalidToken('access tokens are not accepted in the query string');
  if (inBody !== undefined) {
    if (!inBody || form!.duplicates.includes('access_token')) throw invalidRequest('access_token is malformed');
    return inBody;
  }
  if (!bearer) throw new OAuthError('invalid_token', '', { status: 401 }); // no credentials: a bare challenge
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header!.trim());
  if (!match) throw invalidRequest('the Authorization header is malformed');
  return match[1]!;
}

/** RFC 6750 §3: `WWW-Authenticate: Bearer realm=…, error=…, error_description=…`. */
export function bearerError(ctx: ProviderContext, e: unknown): HttpResult {
  if (!(e instanceof OAuthError)) {
    ctx.logger.error({ err: e }, 'userinfo request failed');
    return jsonResult(500, { error: 'server_error', error_description: 'internal error' });
  }
  const attrs = [`realm="${ctx.issuer}"`];
  // Without any credentials the challenge names no error (RFC 6750 §3.1).
  if (e.description !== '') {
    attrs.push(`error="${e.error}"`, `error_description="${e.description.replace(/["\\]/g, '')}"`);
    if (e.scope) attrs.push(`scope="${e.scope}"`);
  }
  const body = e.description === '' ? { error: 'invalid_token', error_description: 'an access token is required' } : e.toJSON();
  return jsonResult(e.status, body, { 'WWW-Authenticate': `Bearer ${attrs.join(', ')}` });
}
