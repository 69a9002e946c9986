/**
 * Who is calling the GraphQL API, and what they may do. The token comes from the Authorization
 * header only (RFC 6750 §2.1; a token in the URL is refused, docs/SECURITY.md BR-05); a bad token
 * is an HTTP 401 with a `WWW-Authenticate` challenge; no token is an anonymous caller. Admin
 * rights are checked on every field of admin types (`@Authorized`) and again by each admin
 * resolver before it reads or writes anything (GQ-12, GQ-13).
 */
import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import type { ProviderContext } from '../provider/context.js';
import { ADMIN_SCOPE } from '../provider/authorization/scopes.js';
import { rethrowAsGraphQLError } from '@jwt-oidc/apollo';
import { bearerFromRequest, BearerError } from '@jwt-oidc/resource';
import type { Auth, GraphQLContext } from './context.js';
import { audit } from '../audit.js';

export const ADMIN = 'admin';

export interface AuthRequest {
  header(name: string): string | undefined;
  query: Record<string, unknown>;
}

/** `resourceMetadata`: the URL of /graphql's RFC 9728 metadata, named in the challenges (§5.1). */
export async function authenticate(req: AuthRequest, provider: ProviderContext | undefined, realm: string, resourceMetadata?: string): Promise<Auth | null> {
  try {
    const token = bearerFromRequest(req.header('authorization'), req.query);
    if (token === undefined) return null;
    if (!provider) throw new BearerError('invalid_token', 'this server accepts no bearer tokens');
    return await callerOf(token, provider);
  } catch (e) {
    // Thrown from the context function: Apollo answers with this status and these headers.
    rethrowAsGraphQLError(e, realm, resourceMetadata);
  }
}

/** The caller behind one of our access tokens (BearerError when it is not valid), over HTTP or WebSocket. */
export async function callerOf(token: string, provider: ProviderContext): Promise<Auth> {
  const verified = await provider.verifyAccessToken(token);
  const holderIsAdmin = verified.user ? verified.user.admin : provider.clients.get(verified.clientId)?.admin === true;
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
