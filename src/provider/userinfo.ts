/**
 * The UserInfo endpoint (OIDC Core §5.3), GET and POST. The bearer token comes in the
 * Authorization header or, with POST, in the form body, and only one of the two (RFC 6750 §2);
 * never in the query; a token bound to a DPoP key comes with the DPoP scheme and a proof (RFC 9449
 * §7; docs/SECURITY.md DP-08…DP-11). Errors are RFC 6750 §3 (RFC 9449 §7.1) challenges. Only
 * tokens of a user with the `openid` scope get claims (docs/SECURITY.md UI-01…UI-05).
 */
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { BearerError, requireScopes, tokenFromAuthorization, tokenInQuery, type PresentedToken } from '@jwt-oidc/resource';
import { requestedClaims, userinfoClaims } from './claims.js';
import { providerUrl, type ProviderContext } from './context.js';
import { USERINFO_PATH } from './discovery.js';
import { boundAccessToken, challengeScheme, resourceChallenge } from './dpop.js';
import { jsonResult, type HttpResult, type ProviderRequest } from './http-result.js';
import { readParams } from './params.js';
import { databaseUnavailable } from './unavailable.js';
import type { User } from '../db/entities/user.js';

/** What userinfo uses of the provider. */
export type UserinfoContext = Pick<ProviderContext, 'issuer' | 'logger' | 'claims' | 'verifyAccessToken' | 'dpop'> & { grants: Pick<ProviderContext['grants'], 'findGrant'> };

export async function userinfoEndpoint(ctx: UserinfoContext, req: ProviderRequest): Promise<HttpResult> {
  let presented: PresentedToken | undefined;
  try {
    presented = presentedToken(req);
    const verified = await boundAccessToken(ctx, req, presented, providerUrl(ctx, USERINFO_PATH));
    if (!verified.user) throw new BearerError('invalid_token', 'this token was issued to a client, not to a user');
    requireScopes(verified.scopes, [['openid']]);
    return ctx.dpop.withNonce(jsonResult(200, await userinfoOf(ctx, verified.user, verified.scopes, verified.grantId)));
  } catch (e) {
    return ctx.dpop.withNonce(bearerError(ctx, e, challengeScheme(presented, e)));
  }
}

/**
 * The UserInfo claims of a user's token (also GraphQL's `Me.userinfo`): by its scopes (OIDC Core
 * §5.4), and those its grant asked for by name (the `claims` parameter, §5.5; kept with the grant).
 */
export async function userinfoOf(ctx: Pick<UserinfoContext, 'claims' | 'grants'>, user: User, scopes: string[], grantId: string | undefined): Promise<Record<string, unknown>> {
  const asked = grantId ? ((await ctx.grants.findGrant(grantId))?.claims?.userinfo ?? []) : [];
  return { ...(await requestedClaims(user, asked, ctx.claims)), ...(await userinfoClaims(user, scopes, ctx.claims)) };
}

/**
 * The one access token of the request: the Authorization header (RFC 6750 §2.1, RFC 9449 §7.1)
 * or, a bearer token only, the form body (RFC 6750 §2.2), not both; never the query.
 */
export function presentedToken(req: ProviderRequest): PresentedToken {
  const header = tokenFromAuthorization(req.header('authorization'));
  const form = req.method === 'POST' ? readParams(req.body) : undefined;
  // Present counts, empty or not: `access_token=` in the body is a second method too.
  const inBody = form !== undefined && Object.hasOwn(req.body ?? {}, 'access_token') ? (form.get('access_token') ?? '') : undefined;
  const inQuery = tokenInQuery(req.query);
  if ([header !== undefined, inBody !== undefined, inQuery].filter(Boolean).length > 1) throw new BearerError('invalid_request', 'send the access token one way only');
  if (inQuery) throw new BearerError('invalid_token', 'access tokens are not accepted in the query string');
  if (inBody !== undefined) {
    if (!inBody || form!.duplicates.includes('access_token')) throw new BearerError('invalid_request', 'access_token is malformed');
    return { scheme: 'Bearer', token: inBody };
  }
  if (header === undefined) throw new BearerError('missing', 'an access token is required');
  return header;
}

/** RFC 6750 §3 (RFC 9449 §7.1 for DPoP): the challenge in `WWW-Authenticate`, the same in a JSON body. */
export function bearerError(ctx: Pick<ProviderContext, 'logger' | 'issuer'>, e: unknown, scheme: 'Bearer' | 'DPoP' | undefined = 'Bearer'): HttpResult {
  if (isDatabaseUnavailable(e)) {
    ctx.logger.warn({ err: e }, 'userinfo request failed: database unavailable');
    return databaseUnavailable('json');
  }
  if (!(e instanceof BearerError)) {
    ctx.logger.error({ err: e }, 'userinfo request failed');
    return jsonResult(500, { error: 'server_error', error_description: 'internal error' });
  }
  const body = e.body();
  return jsonResult(e.status, body, { 'WWW-Authenticate': resourceChallenge(e, scheme, ctx.issuer) });
}
