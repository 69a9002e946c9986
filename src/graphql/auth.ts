/**
 * Who is calling the GraphQL API, and what they may do. The token comes from the Authorization
 * header only (RFC 6750 §2.1; a token in the URL is refused, docs/SECURITY.md BR-05), with the
 * DPoP scheme and a proof when it is bound to a DPoP key (RFC 9449 §7; DP-10); a bad token
 * is an HTTP 401 with a `WWW-Authenticate` challenge; no token is an anonymous caller. Admin
 * rights are checked on every field of admin types (`@Authorized`) and again by each admin
 * resolver before it reads or writes anything (GQ-12, GQ-13).
 */
import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import type { ProviderContext } from '../provider/context.js';
import { ADMIN_SCOPE } from '../provider/authorization/scopes.js';
import { toGraphQLError } from '@jwt-oidc/apollo';
import { BearerError, checkTokenBinding, IssuerUnavailableError, tokenFromAuthorization, tokenInQuery, type PresentedToken } from '@jwt-oidc/resource';
import { boundAccessToken, challengeScheme, resourceChallenge } from '../provider/dpop.js';
import type { Auth, GraphQLContext } from './context.js';
import { audit } from '../audit.js';

export const ADMIN = 'admin';

export interface AuthRequest {
  method: string;
  header(name: string): string | undefined;
  query: Record<string, unknown>;
}

/**
 * `resourceMetadata`: the URL of /graphql's RFC 9728 metadata, named in the challenges (§5.1);
 * `url`: /graphql's own URL, what a DPoP proof's `htu` names.
 */
export async function authenticate(req: AuthRequest, provider: ProviderContext | undefined, realm: string, resourceMetadata?: string, url?: string): Promise<Auth | null> {
  let presented: PresentedToken | undefined;
  try {
    if (tokenInQuery(req.query)) throw new BearerError('invalid_request', 'send the access token in the Authorization header, never in the URL');
    presented = tokenFromAuthorization(req.header('authorization'));
    if (presented === undefined) return null;
    if (!provider) throw new BearerError('invalid_token', 'this server accepts no bearer tokens');
    const verified = await boundAccessToken(provider, req, presented, url ?? new URL('/graphql', provider.issuer).href);
    return await caller(verified, provider);
  } catch (e) {
    // Thrown from the context function: Apollo answers with this status and these headers.
    if (!(e instanceof BearerError || e instanceof IssuerUnavailableError)) throw e;
    const error = toGraphQLError(e, realm, resourceMetadata);
    const headers = (error.extensions.http as { headers: Map<string, string> }).headers;
    if (e instanceof BearerError) headers.set('www-authenticate', resourceChallenge(e, challengeScheme(presented, e) ?? (e.code === 'missing' ? undefined : 'Bearer'), realm, resourceMetadata));
    for (const [name, value] of Object.entries(provider?.dpop.headers() ?? {})) headers.set(name.toLowerCase(), value);
    throw error;
  }
}

/**
 * The caller behind one of our access tokens over WebSocket (BearerError when it is not valid):
 * there is no proof per message there, so a token bound to a DPoP key is refused (RFC 9449 §7.2).
 */
export async function callerOf(token: string, provider: ProviderContext): Promise<Auth> {
  const verified = await provider.verifyAccessToken(token);
  await checkTokenBinding({ scheme: 'Bearer', token }, verified.claims, undefined, provider.dpop.requestOptions('GET', new URL('/graphql', provider.issuer).href));
  return await caller(verified, provider);
}

async function caller(verified: Awaited<ReturnType<ProviderContext['verifyAccessToken']>>, provider: ProviderContext): Promise<Auth> {
  const holderIsAdmin = verified.user ? verified.user.admin : (await provider.clients.get(verified.clientId))?.admin === true;
  return { ...verified, isAdmin: holderIsAdmin && verified.scopes.includes(ADMIN_SCOPE) };
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError('authentication is required', { extensions: { code: 'UNAUTHENTICATED' } });
}

export function forbidden(message = 'not allowed'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/** The caller, or UNAUTHENTICATED. */
export function requireAuth(ctx: GraphQLContext): Auth {
  if (!ctx.auth) throw unauthenticated();
  return ctx.auth;
}

/** An administrator, or UNAUTHENTICATED / FORBIDDEN (logged: an attempt worth knowing about). */
export function requireAdmin(ctx: GraphQLContext): Auth & { isAdmin: true } {
  const auth = requireAuth(ctx);
  if (!auth.isAdmin) {
    audit(ctx.logger, 'admin.forbidden', { outcome: 'refused', actor: auth.sub, client: auth.clientId, ip: ctx.ip }, 'administration refused: no admin scope or rights');
    throw forbidden('the admin scope of an administrator is required');
  }
  return auth as Auth & { isAdmin: true };
}

/** type-graphql's check for `@Authorized(ADMIN)` on types and fields. */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  if (roles.includes(ADMIN)) requireAdmin(context);
  else requireAuth(context);
  return true;
};
