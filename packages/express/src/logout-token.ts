/**
 * Back-Channel Logout 1.0 at a relying party: the provider POSTs a `logout_token` and we end
 * the sessions it names. The token is validated per §2.6: a JWS from the provider's JWKS with an
 * allowed asymmetric `alg` (never `none`), `iss` exactly the provider's, `aud` containing our
 * client id, `iat`, a `jti`, the back-channel event as a JSON object, `sub` or `sid`, and no
 * `nonce` (so an ID token can never pass for one); a `typ` other than `logout+jwt` is refused.
 * A `jti` is accepted once (replays are refused while they could still verify).
 */
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ASYMMETRIC_ALGORITHMS, assertCompactJws, ExpiringLru } from '@jwt-oidc/resource';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A logout token that cannot be accepted (answer 400; end no session). */
export class LogoutTokenError extends Error {
  readonly code = 'ERR_LOGOUT_TOKEN_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'LogoutTokenError';
  }
}

export interface LogoutTokenValidatorOptions {
  issuer: string;
  clientId: string;
  keys: JWTVerifyGetKey;
  /** Allowed algorithms (default: every asymmetric JWS algorithm). */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated (default 60). */
  clockTolerance?: number;
  /** Logout tokens without `exp` are accepted this long after `iat`, in seconds (default 120). */
  maxAge?: number;
}

export interface LogoutRequest {
  iss: string;
  sub?: string;
  sid?: string;
}

export function logoutTokenValidator(options: LogoutTokenValidatorOptions): (token: unknown) => Promise<LogoutRequest> {
  const seen = new ExpiringLru<string, true>(10_000);
  const tolerance = options.clockTolerance ?? 60;
  const maxAge = options.maxAge ?? 120;
  return async (token) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) throw new LogoutTokenError('logout_token is missing or too long');
    try {
      assertCompactJws(token);
    } catch {
      throw new LogoutTokenError('logout_token is not a compact JWS');
    }
    let payload: Record<string, unknown>;
    let typ: string | undefined;
    try {
      const verified = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.clientId,
        algorithms: [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)],
        clockTolerance: tolerance,
        maxTokenAge: maxAge + tolerance,
        requiredClaims: ['iat', 'jti', 'events'],
      });
      payload = verified.payload as Record<string, unknown>;
      typ = verified.protectedHeader.typ;
    } catch {
      throw new LogoutTokenError('logout_token cannot be verified');
    }
    if (typ !== undefined && !/^(application\/)?logout\+jwt$/i.test(typ)) throw new LogoutTokenError('logout_token has the wrong typ');
    const events = payload.events;
    const event = events && typeof events === 'object' && !Array.isArray(events) ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (!event || typeof event !== 'object' || Array.isArray(event)) throw new LogoutTokenError('logout_token has no back-channel logout event');
    if ('nonce' in payload) throw new LogoutTokenError('logout_token must not carry a nonce');
    const { sub, sid, jti } = payload;
    if ((sub !== undefined && (typeof sub !== 'string' || !sub)) || (sid !== undefined && (typeof sid !== 'string' || !sid))) throw new LogoutTokenError('logout_token has a malformed sub or sid');
    if (sub === undefined && sid === undefined) throw new LogoutTokenError('logout_token names neither sub nor sid');
    if (typeof jti !== 'string' || seen.get(jti)) throw new LogoutTokenError('logout_token was already used');
    const iat = payload.iat as number;
    const exp = typeof payload.exp === 'number' ? payload.exp : iat + maxAge;
    seen.set(jti, true, (exp + tolerance) * 1000);
    return { iss: options.issuer, sub: sub as string | undefined, sid: sid as string | undefined };
  };
}
