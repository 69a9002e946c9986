import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { User as UserEntity } from '../db/entities/user.js';
import { mayWriteProfile } from '../provider/authorization/scopes.js';
import { userinfoOf } from '../provider/userinfo.js';
import { UserService } from '../users/user-service.js';
import { forbidden, requireAuth, unauthenticated } from './auth.js';
import type { GraphQLContext } from './context.js';
import { domain } from './domain-errors.js';
import { Me } from './types/me.js';
import { fromLocalUser, toPublicUser, UpdateMeInput, PublicUser } from './types/user.js';

@Resolver()
export class MeResolver {
  @Query(() => Me, { description: 'The caller: token claims, userinfo and public profile. Needs a valid access token.' })
  async me(@Ctx() ctx: GraphQLContext): Promise<Me> {
    if (ctx.upstream !== undefined) return upstreamMe(ctx.upstream);
    const auth = requireAuth(ctx);
    const user = auth.user ?? null;
    // What /userinfo answers for this token, the claims its grant asked for by name included.
    const grantId = typeof auth.claims.grant_id === 'string' ? auth.claims.grant_id : undefined;
    const userinfo = user && auth.scopes.includes('openid') && ctx.provider ? await userinfoOf(ctx.provider, user, auth.scopes, grantId) : null;
    return { sub: auth.sub, clientId: auth.clientId, scopes: auth.scopes, claims: auth.claims as Record<string, unknown>, userinfo, user: user ? toPublicUser(user) : null };
  }

  @Mutation(() => PublicUser, { description: 'Changes the caller\'s own profile. Needs a user token with the profile:write scope, or with profile from a first-party client.' })
  async updateMe(@Arg('input', () => UpdateMeInput, { description: 'The changes.' }) input: UpdateMeInput, @Ctx() ctx: GraphQLContext): Promise<PublicUser> {
    const auth = requireAuth(ctx);
    if (!auth.user) throw forbidden('a user token is required');
    // `profile` is read access, as the consent page says; writing takes its own scope (what a
    // third-party app writes flows into every other app's tokens).
    if (!mayWriteProfile(auth.scopes, await ctx.provider?.clients.get(auth.clientId))) throw forbidden('the profile:write scope is required (or profile, from a first-party client)');
    const user: UserEntity = await domain(() => new UserService(ctx.em).updateProfile({ id: auth.user!.id }, given(input)));
    return toPublicUser(user);
  }
}

/** client mode: the caller known from the session or an upstream bearer token. */
async function upstreamMe(caller: GraphQLContext['upstream']): Promise<Me> {
  if (!caller) throw unauthenticated();
  return { sub: caller.sub, clientId: caller.clientId, scopes: caller.scopes, claims: caller.claims, userinfo: await caller.userinfo(), user: caller.user ? fromLocalUser(caller.user) : null };
}

/**
 * The fields an input actually carries: omitted ones (undefined) are left as they are; an
 * explicit null clears a nullable field (and is refused where null makes no sense).
 */
export function given<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
