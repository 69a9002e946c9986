/**
 * Tokens of the fake provider, the same shape as the real provider's: ID tokens (OIDC Core §2)
 * signed RS256, access tokens per RFC 9068 (`typ: at+jwt`) signed ES256, so openid-client and
 * jwt-oidc/apollo take them unchanged.
 */
import { randomUUID } from 'node:crypto';
import { halfHash } from '../provider/tokens.js';
import { signCompact } from '../keys/jws.js';
import type { FakeContext } from './context.js';
import type { FakeIdentity } from './identity.js';

export interface IssueInput {
  identity: FakeIdentity;
  scope: string;
  authTime: number;
  nonce?: string;
}

export interface IssuedTokens {
  access_token: string;
  id_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export function issueTokens(ctx: FakeContext, input: IssueInput): IssuedTokens {
  const now = Math.floor(ctx.now() / 1000);
  const { accessTokenTtl, idTokenTtl } = ctx;
  const at = ctx.keys.access;
  const jti = randomUUID();
  ctx.issued.set(jti, input.identity, (now + accessTokenTtl) * 1000);
  const accessToken = signCompact(
    { alg: at.alg, kid: at.kid, typ: 'at+jwt' },
    {
      iss: ctx.issuer,
      sub: input.identity.sub,
      // The issuer (userinfo) and the client id: an API of the frontend can take either as its audience.
      aud: [ctx.issuer, ctx.clientId],
      client_id: ctx.clientId,
      scope: input.scope,
      auth_time: input.authTime,
      iat: now,
      exp: now + accessTokenTtl,
      jti,
    },
    at.privateKey,
  );
  const id = ctx.keys.id;
  const idToken = signCompact(
    { alg: id.alg, kid: id.kid, typ: 'JWT' },
    {
      ...input.identity.claims,
      iss: ctx.issuer,
      sub: input.identity.sub,
      aud: ctx.clientId,
      azp: ctx.clientId,
      iat: now,
      exp: now + idTokenTtl,
      auth_time: input.authTime,
      ...(input.nonce ? { nonce: input.nonce } : {}),
      at_hash: halfHash(accessToken, id.alg),
    },
    id.privateKey,
  );
  return { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: accessTokenTtl, scope: input.scope };
}
