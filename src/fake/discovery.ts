/**
 * The fake provider's metadata (OIDC Discovery §3) and JWK Set: what it really implements, at
 * the same paths as the real provider, so a frontend switches by changing one URL.
 */
import { AUTHORIZATION_PATH, JWKS_PATH, TOKEN_PATH, USERINFO_PATH, cachedDocument, endpointUrl } from '../provider/discovery.js';
import { END_SESSION_PATH } from '../provider/end-session.js';
import type { HttpResult } from '../provider/http-result.js';
import type { FakeContext } from './context.js';

export function fakeDiscovery(ctx: FakeContext): (ifNoneMatch?: string) => HttpResult {
  const { issuer } = ctx;
  return cachedDocument(
    {
      issuer,
      authorization_endpoint: endpointUrl(issuer, AUTHORIZATION_PATH),
      token_endpoint: endpointUrl(issuer, TOKEN_PATH),
      userinfo_endpoint: endpointUrl(issuer, USERINFO_PATH),
      jwks_uri: endpointUrl(issuer, JWKS_PATH),
      end_session_endpoint: endpointUrl(issuer, END_SESSION_PATH),
      scopes_supported: ['openid', 'profile', 'email'],
      response_types_supported: ['code', 'id_token', 'id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'implicit'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [ctx.keys.id.alg],
      token_endpoint_auth_methods_supported: ctx.clientSecret === undefined ? ['none'] : ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      prompt_values_supported: ['none', 'login'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'name', 'email', 'email_verified'],
      request_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
    },
    'application/json; charset=utf-8',
    'no-cache',
  );
}

export function fakeJwks(ctx: FakeContext): (ifNoneMatch?: string) => HttpResult {
  return cachedDocument({ keys: ctx.keys.all.map((k) => k.jwk) }, 'application/jwk-set+json', 'public, max-age=300');
}
