/**
 * client mode: who is calling /graphql. A bearer token of the upstream provider (for this
 * service: `aud` = CLIENT_ID) takes precedence; otherwise the browser's session at this relying
 * party (its cookie, read by the oidcClient middleware). A bad token is HTTP 401 with an RFC 6750
 * challenge, exactly as in provider mode.
 */
import type { Request } from 'express';
import type { LocalUser, UserStore } from '../client/user-store.js';
import { rethrowAsGraphQLError } from '@jwt-oidc/apollo';
import { bearerFromRequest, type RemoteIssuer } from '@jwt-oidc/resource';
import type { Settings } from '../config/load.js';

/** The caller of a client-mode request. */
export interface UpstreamCaller {
  sub: string;
  clientId: string;
  scopes: string[];
  /** The ID token's claims (session) or the access token's (bearer). */
  claims: Record<string, unknown>;
  /** The upstream provider's userinfo for this caller, or null when it has none. */
  userinfo(): Promise<Record<string, unknown> | null>;
  /** The local user linked to the caller (IDENTIFICATION_CLAIM), or null. */
  user: LocalUser | null;
  /** How the caller proved itself. */
  via: 'session' | 'bearer';
}

/** Where callers come from: a token issuer to trust, and (client mode) the local users. */
export interface CallerSource {
  upstream: Pick<RemoteIssuer, 'verify' | 'userinfo'>;
  users?: UserStore;
}

export async function upstreamCaller(req: Request, mode: CallerSource, settings: Settings): Promise<UpstreamCaller | null> {
  let token: string | undefined;
  try {
    token = bearerFromRequest(req.get('authorization'), req.query);
    if (token !== undefined) {
      const v = await mode.upstream.verify(token);
      // Access tokens rarely carry profile claims: an identifier they lack is read from userinfo.
      let identifier = v.claims[settings.identificationClaim];
      if (identifier === undefined && mode.users) identifier = (await mode.upstream.userinfo(v).catch(() => undefined))?.[settings.identificationClaim];
      // Bearer callers are looked up, never created: users are provisioned at interactive login.
      const found = typeof identifier === 'string' && mode.users ? await mode.users.find(identifier) : undefined;
      return {
        sub: v.sub,
        clientId: v.clientId,
        scopes: v.scopes,
        claims: v.claims as Record<string, unknown>,
        userinfo: () => mode.upstream.userinfo(v).catch(() => null),
        user: found && found.active !== false ? found : null,
        via: 'bearer',
      };
    }
  } catch (e) {
    rethrowAsGraphQLError(e, settings.issuer ?? settings.clientId ?? 'jwt-oidc');
  }
  if (!req.oidc?.loggedIn) return null; // no session middleware (fake mode), or nobody logged in
  // An expired access token is refreshed now: a provider that refuses ends the session here.
  await req.getAccessToken().catch(() => undefined); // provider unreachable: the session still says who
  if (!req.oidc.loggedIn || !req.userClaims) return null;
  const claims = req.userClaims;
  const userinfo = req.userinfo ?? null;
  return {
    sub: String(claims.sub),
    clientId: settings.clientId!,
    scopes: (req.oidc.scope ?? settings.scope).split(' ').filter(Boolean),
    claims,
    userinfo: async () => userinfo,
    user: req.user ?? null,
    via: 'session',
  };
}
