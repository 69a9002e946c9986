/**
 * client mode: who is calling /graphql. A bearer token of the upstream provider (for this
 * service: `aud` = CLIENT_ID) takes precedence; otherwise the browser's session at this relying
 * party. A bad token is HTTP 401 with an RFC 6750 challenge, exactly as in provider mode. The
 * request comes as plain data and functions, built per request in src/app.ts: this edge knows
 * neither Express nor the relying party's middleware (docs/ARCHITECTURE.md, "Layers").
 */
import { rethrowAsGraphQLError } from '@jwt-oidc/apollo';
import type { LocalUser, UserStore } from '@jwt-oidc/express/user-mapping';
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

/** Where callers come from: the upstream provider's tokens, and the local users. */
export interface CallerSource {
  upstream: Pick<RemoteIssuer, 'verify' | 'userinfo'>;
  users: Pick<UserStore, 'find'>;
}

/** The browser's session at this relying party, its access token refreshed first if it had expired. */
export interface RelyingPartySession {
  /** The ID token's claims. */
  claims: Record<string, unknown>;
  /** The scope granted at login, when the provider said (RFC 6749 §5.1). */
  scope?: string;
  userinfo: Record<string, unknown> | null;
  /** The local user of the session's identity (IDENTIFICATION_CLAIM), or null. */
  user: LocalUser | null;
}

/** What the caller sent, as the composition hands it over. */
export interface CallerRequest {
  header(name: string): string | undefined;
  query: Record<string, unknown>;
  /** The session of the cookie, or null when nobody is signed in (also after a refused refresh). */
  session(): Promise<RelyingPartySession | null>;
}

export async function upstreamCaller(req: CallerRequest, mode: CallerSource, settings: Settings): Promise<UpstreamCaller | null> {
  let token: string | undefined;
  try {
    token = bearerFromRequest(req.header('authorization'), req.query);
    if (token !== undefined) {
      const v = await mode.upstream.verify(token);
      // Access tokens rarely carry profile claims: an identifier they lack is read from userinfo.
      let identifier = v.claims[settings.identificationClaim];
      if (identifier === undefined) identifier = (await mode.upstream.userinfo(v).catch(() => undefined))?.[settings.identificationClaim];
      // Bearer callers are looked up, never created: users are provisioned at interactive login.
      const found = typeof identifier === 'string' ? await mode.users.find(identifier) : undefined;
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
  const session = await req.session();
  if (!session) return null;
  const { claims, userinfo } = session;
  return {
    sub: String(claims.sub),
    clientId: settings.clientId!,
    scopes: (session.scope ?? settings.scope).split(' ').filter(Boolean),
    claims,
    userinfo: async () => userinfo,
    user: session.user,
    via: 'session',
  };
}
