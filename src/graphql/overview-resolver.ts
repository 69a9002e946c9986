/** `overview`: how much this provider holds, at a glance (the console's first page). Admin. */
import { Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { Client as ClientEntity } from '../db/entities/client.js';
import { User as UserEntity } from '../db/entities/user.js';
import { provider } from './admin-resolver.js';
import { ADMIN, requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';

@Authorized(ADMIN)
@ObjectType({ description: 'Counts of what this provider holds, now. Every field needs the admin scope.' })
export class Overview {
  @Field(() => Int, { description: 'Users, active or not.' })
  users!: number;

  @Field(() => Int, { description: 'Users with the admin flag.' })
  administrators!: number;

  @Field(() => Int, { description: 'Registered clients.' })
  clients!: number;

  @Field(() => Int, { description: 'Browser sessions at the provider that have not expired.' })
  activeSessions!: number;

  @Field(() => Int, { description: 'Grants neither revoked nor expired: their tokens work.' })
  activeGrants!: number;
}

@Resolver()
export class OverviewResolver {
  @Query(() => Overview, { description: 'Counts of users, administrators, clients, live sessions and active grants. Admin.' })
  async overview(@Ctx() ctx: GraphQLContext): Promise<Overview> {
    requireAdmin(ctx);
    const p = provider(ctx);
    const [users, administrators, clients, activeSessions, activeGrants] = await Promise.all([
      ctx.em.fork().count(UserEntity, {}),
      ctx.em.fork().count(UserEntity, { admin: true }),
      ctx.em.fork().count(ClientEntity, {}),
      p.sessions.countLive(),
      p.grants.countActive(),
    ]);
    return { users, administrators, clients, activeSessions, activeGrants };
  }
}
