/**
 * The end of a successful authorization: what the response type asks for (OAuth 2.0 Multiple
 * Response Types, OIDC Core §3.1–§3.3) — a code bound to the client, redirect_uri and PKCE
 * challenge; an access token; an ID token with `c_hash` / `at_hash` — sent in the response mode
 * with `state` and `iss`. The client's user restrictions are applied here, last.
 */
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { User } from '../../db/entities/user.js';
import { requestedClaims, userinfoClaims } from '../claims.js';
import type { ProviderContext } from '../context.js';
import { OAuthError } from '../errors.js';
import type { HttpResult } from '../http-result.js';
import type { ProviderSession } from '../stores/session-store.js';
import { achievedAcr, ACR_MFA, mfaRequired, wantsMfa } from './acr.js';
import { extraIdTokenClaims, isRestricted } from './client-extras.js';
import { AuthorizationRedirectError, type AuthorizationRequest } from './request.js';
import { authorizationResponse } from './response.js';
import { audit } from '../../audit.js';
import { grantTarget } from '../resource-indicators.js';
import { acrSatisfied, grantedClaims } from './claims-parameter.js';
import { approveDevice } from '../device-approval.js';

export type LoginFacts = Pick<ProviderSession, 'authTime' | 'sid' | 'amr'> & { acr?: string | null };

export async function completeAuthorization(
  ctx: ProviderContext,
  request: AuthorizationRequest,
  client: RegisteredClient,
  user: User,
  login: LoginFacts,
  scopes: string[],
  setCookies: string[] = [],
): Promise<HttpResult> {
  // A sub asked for through `claims` binds: nobody else gets the tokens (OIDC Core §5.5.1).
  if (request.requestedSub !== undefined && request.requestedSub !== user.id) {
    throw new AuthorizationRedirectError(new OAuthError('login_required', 'the requested subject did not log in'), request.redirectUri, request.state, request.responseMode);
  }
  if (isRestricted(client, user)) {
    audit(ctx.logger, 'authorization.restricted', { outcome: 'refused', actor: user.id, client: client.id }, 'user restricted from this client');
    throw new AuthorizationRedirectError(new OAuthError('access_denied', 'this account may not use this application'), request.redirectUri, request.state, request.responseMode);
  }
  // What was achieved (src/provider/authorization/acr.ts), unless a delegated login app said.
  const acr = login.acr ?? achievedAcr(login.amr);
  // The fake mode signs in with whatever the developer chose, a weaker authentication than asked
  // included, so that an application's handling of it can be tried (acr_values is a voluntary
  // request, OIDC Core §3.1.2.1; docs/SECURITY.md SU-*).
  if (wantsMfa(request.acrValues) && acr !== ACR_MFA && ctx.settings.type !== 'fake') {
    // Asked for a second factor the user does not have (one who has one was asked for it before
    // getting here): the error of OpenID Connect Core Error Code unmet_authentication_requirements 1.0 §1.
    audit(ctx.logger, 'authorization.restricted', { outcome: 'refused', actor: user.id, client: client.id }, 'a second factor was asked for and the user has none');
    throw new AuthorizationRedirectError(new OAuthError('unmet_authentication_requirements', 'a second factor was asked for (acr_values) and the account has none'), request.redirectUri, request.state, request.responseMode);
  }
  if (!acrSatisfied(request.claims, acr) && ctx.settings.type !== 'fake') {
    // An essential acr the sign-in did not reach (a value the built-in sign-in never states, or
    // a delegated login app's other one): a failed authentication (OIDC Core §5.5.1.1), answered
    // as an unmet acr_values is (docs/SECURITY.md CL-08).
    audit(ctx.logger, 'authorization.restricted', { outcome: 'refused', actor: user.id, client: client.id }, 'an essential acr was asked for and the sign-in did not reach it');
    throw new AuthorizationRedirectError(new OAuthError('unmet_authentication_requirements', 'the sign-in did not reach the essential acr asked for (claims)'), request.redirectUri, request.state, request.responseMode);
  }
  if (mfaRequired(ctx.settings, client) && acr !== ACR_MFA) {
    // The policy's last word (docs/ACCOUNTS.md "Two-step sign-in", "The policy"): the built-in
    // pages have asked for the factor or its set-up before getting here; a delegated login app's
    // sign-in must state it.
    audit(ctx.logger, 'authorization.restricted', { outcome: 'refused', actor: user.id, client: client.id }, 'a second factor is required and the sign-in gave none');
    throw new AuthorizationRedirectError(new OAuthError('unmet_authentication_requirements', 'a second factor is required and this sign-in gave none'), request.redirectUri, request.state, request.responseMode);
  }
  const types = request.responseType.split(' ');
  const scope = scopes.join(' ');
  const grant = { clientId: client.id, userId: user.id, scope, authTime: login.authTime, sid: login.sid, nonce: request.nonce ?? null, acr, amr: login.amr, resources: request.resources ?? null, claims: grantedClaims(request.claims) };
  // A device sign-in (RFC 8628 §3.3) ends in the device request, not at a redirect URI.
  if (request.device !== undefined) return approveDevice(ctx, request.device, grant, client.name, setCookies);
  const params: Record<string, string | undefined> = { state: request.state, iss: ctx.issuer };

  let grantId: string;
  if (types.includes('code')) {
    const created = await ctx.grants.createWithCode(grant, {
      redirectUri: request.redirectUriGiven ? request.redirectUri : null,
      codeChallenge: request.codeChallenge ?? null,
      dpopJkt: request.dpopJkt ?? null,
      ttlMs: ctx.settings.authorizationCodeExpirationTime * 1000,
    }, types.includes('token') ? ctx.settings.jwtAccessTokenExpirationTime * 1000 : 0);
    params.code = created.code;
    grantId = created.grantId;
  } else {
    // Implicit: no code, no refresh token; the grant still makes its access token revocable.
    grantId = await ctx.grants.create(grant, ctx.settings.jwtAccessTokenExpirationTime * 1000);
  }
  if (types.includes('token')) {
    // With a resource (one at most: authorize.ts), the token is that resource's (RFC 8707 §2).
    const target = await grantTarget(ctx, request.resources ?? null, [], scope).catch((e: unknown) => {
      throw e instanceof OAuthError ? new AuthorizationRedirectError(e, request.redirectUri, request.state, request.responseMode) : e;
    });
    const at = await ctx.minter.accessToken({ sub: user.id, clientId: client.id, scope: target.scope, audiences: client.audiences, audience: target.audience, ttl: target.ttl, alg: target.alg, grantId, authTime: login.authTime, acr: acr ?? undefined, amr: login.amr });
    Object.assign(params, { access_token: at.token, token_type: 'Bearer', expires_in: String(at.expiresIn), scope: target.scope });
  }
  if (types.includes('id_token')) {
    // Without an access token there is no userinfo to ask: the claims go in the ID token (OIDC Core §5.4).
    const claims = types.includes('token') && !ctx.claims.inIdToken ? {} : await userinfoClaims(user, scopes, ctx.claims);
    // The claims asked for the ID token by name (OIDC Core §5.5), consented to with the scopes.
    Object.assign(claims, await requestedClaims(user, request.claims?.idToken ?? [], ctx.claims));
    params.id_token = await ctx.minter.idToken({
      sub: user.id,
      clientId: client.id,
      authTime: login.authTime,
      nonce: request.nonce,
      sid: login.sid,
      acr: acr ?? undefined,
      amr: login.amr,
      accessToken: params.access_token,
      code: params.code,
      alg: client.idTokenSignedResponseAlg,
      extraClaims: { ...claims, ...extraIdTokenClaims(client, user, scopes) },
    });
  }
  return authorizationResponse(request, params, setCookies);
}
