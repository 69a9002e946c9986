/** Grants, sessions and signing keys over GraphQL. Admin. */
import { isUserId } from '../users/user-id.js';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { provider } from './admin-resolver.js';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { notFound } from './domain-errors.js';
import { Grant, Session } from './types/grant.js';
import { KeyFamilyStatus, toKeyStatus } from './types/keys.js';
import { audit } from '../audit.js';
import type { GrantRecord } from '../provider/stores/grant-store.js';
import type { ProviderSession } from '../provider/stores/session-store.js';

/** At most this many grants per answer, newest first. */
const MAX_GRANTS = 500;

function toGrant(g: GrantRecord, now: number): Grant {
  return {
    id: g.id,
    clientId: g.clientId,
    userId: g.userId,
    scopes: g.scope.split(' ').filter(Boolean),
    authTime: new Date(g.authTime),
    refreshCount: g.refreshCount,
    createdAt: new Date(g.createdAt),
    expiresAt: new Date(g.expiresAt),
    revokedAt: g.revokedAt === null ? null : new Date(g.revokedAt),
    active: g.revokedAt === null && g.expiresAt > now,
  };
}

function toSession(s: ProviderSession): Session {
  return { id: s.sid, userId: s.userId, authTime: new Date(s.authTime), amr: s.amr, createdAt: new Date(s.createdAt ?? s.authTime), expiresAt: new Date(s.expiresAt) };
}

@Resolver()
export class GrantAdminResolver {
  @Query(() => [Grant], { description: `Grants of a user and/or a client (at least one of the two), newest first, at most ${MAX_GRANTS}. Admin.` })
  async grants(
    @Arg('userId', () => ID, { nullable: true, description: 'Only grants of this user.' }) userId: string | null,
    @Arg('clientId', () => ID, { nullable: true, description: 'Only grants for this client.' }) clientId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Grant[]> {
    requireAdmin(ctx);
    if (!userId && !clientId) throw new GraphQLError('give userId, clientId or both', { extensions: { code: 'BAD_USER_INPUT', field: 'userId' } });
    if (userId && !isUserId(userId)) return [];
    const rows = await provider(ctx).grants.list({ userId: userId ?? undefined, clientId: clientId ?? undefined }, MAX_GRANTS);
    const now = provider(ctx).clock.now();
    return rows.map((g) => toGrant(g, now));
  }

  @Mutation(() => Grant, { description: 'Revokes a grant: its refresh and access tokens stop working at once. Admin.' })
  async revokeGrant(@Arg('id', () => ID, { description: 'The grant id.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<Grant> {
    const admin = requireAdmin(ctx);
    await provider(ctx).grants.revoke(id);
    const grant = await provider(ctx).grants.findGrant(id);
    if (!grant) throw notFound('grant');
    audit(ctx.logger, 'grant.revoked', { outcome: 'success', actor: admin.sub, client: admin.clientId, grant: id, ip: ctx.ip }, 'grant revoked by an administrator');
    return toGrant(grant, provider(ctx).clock.now());
  }

  @Query(() => [Session], { description: 'Live login sessions of a user. Admin.' })
  async sessions(@Arg('userId', () => ID, { description: 'The user id.' }) userId: string, @Ctx() ctx: GraphQLContext): Promise<Session[]> {
    requireAdmin(ctx);
    if (!isUserId(userId)) return [];
    return (await provider(ctx).sessions.listOfUser(userId)).map(toSession);
  }

  @Mutation(() => Boolean, { description: 'Ends a login session (the browser must log in again); its grants stay. Admin.' })
  async revokeSession(@Arg('id', () => ID, { description: 'The session id (sid).' }) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const admin = requireAdmin(ctx);
    if (!(await provider(ctx).sessions.endBySid(id))) throw notFound('session');
    audit(ctx.logger, 'session.revoked', { outcome: 'success', actor: admin.sub, client: admin.clientId, sid: id, ip: ctx.ip }, 'session ended by an administrator');
    return true;
  }
}

@Resolver()
export class KeyAdminResolver {
  @Query(() => [KeyFamilyStatus], { description: 'Signing keys per family, as `jwt-oidc keys status` shows them. Admin.' })
  keyRotationStatus(@Ctx() ctx: GraphQLContext): KeyFamilyStatus[] {
    requireAdmin(ctx);
    return toKeyStatus(provider(ctx).keys.status());
  }

  @Mutation(() => [KeyFamilyStatus], { description: 'Starts a rotation: a successor is published first and signs after KEY_PREPUBLISH_TIME; now: true switches at once (a compromised key). Admin.' })
  async rotateKeys(@Arg('now', () => Boolean, { defaultValue: false, description: 'Switch at once instead of pre-publishing the successor.' }) now: boolean, @Ctx() ctx: GraphQLContext): Promise<KeyFamilyStatus[]> {
    const admin = requireAdmin(ctx);
    const { status } = await provider(ctx).keys.rotate({ now });
    audit(ctx.logger, 'keys.rotated', { outcome: 'success', actor: admin.sub, client: admin.clientId, now, ip: ctx.ip }, 'key rotation started by an administrator');
    return toKeyStatus(status);
  }
}
