/**
 * Administration of registered resources (RFC 8707; README "Resources"): admin only, through
 * the provider's one resource store; mutations are audited as every mutation is
 * (src/graphql/audit-plugin.ts), and invalid input is BAD_USER_INPUT naming the field.
 */
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { provider } from './admin-resolver.js';
import { domain } from './domain-errors.js';
import { given } from './me-resolver.js';
import { decodeCursor, PageArgs, pageSize, toConnection, type Connection } from './types/connection.js';
import { CreateResourceInput, Resource, ResourceConnection, ResourceMetadataInput, toResource } from './types/resource.js';
import type { CreateResourceInput as StoreCreateInput, RegisteredResource, UpdateResourceInput } from '../provider/stores/resource-store.js';

@Resolver()
export class ResourceAdminResolver {
  @Query(() => ResourceConnection, { description: 'Registered resources, by id. Admin.' })
  async resources(@Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<Connection<Resource>> {
    requireAdmin(ctx);
    const limit = pageSize(args.first);
    const rows = await provider(ctx).resources.list({ after: decodeCursor('resources', args.after), limit: limit + 1, search: args.search ?? undefined });
    return toConnection('resources', rows, limit, (r: RegisteredResource) => r.id, toResource);
  }

  @Query(() => Resource, { nullable: true, description: 'A resource by id; null when there is none. Admin.' })
  async resource(@Arg('id', () => ID, { description: 'The resource indicator.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<Resource | null> {
    requireAdmin(ctx);
    const found = await provider(ctx).resources.find(id);
    return found ? toResource(found) : null;
  }

  @Mutation(() => Resource, { description: 'Registers a resource. Admin.' })
  async createResource(@Arg('input', () => CreateResourceInput, { description: 'The new resource.' }) input: CreateResourceInput, @Ctx() ctx: GraphQLContext): Promise<Resource> {
    requireAdmin(ctx);
    return toResource(await domain(() => provider(ctx).resources.create(given(input) as StoreCreateInput)));
  }

  @Mutation(() => Resource, { description: 'Changes a resource; the scopes given replace the old ones. Admin.' })
  async updateResource(@Arg('id', () => ID, { description: 'The resource indicator.' }) id: string, @Arg('input', () => ResourceMetadataInput, { description: 'The changes.' }) input: ResourceMetadataInput, @Ctx() ctx: GraphQLContext): Promise<Resource> {
    requireAdmin(ctx);
    return toResource(await domain(() => provider(ctx).resources.update(id, given(input) as UpdateResourceInput)));
  }

  @Mutation(() => Boolean, { description: 'Deletes a resource: no more tokens are issued for it; issued ones live out their time. Admin.' })
  async deleteResource(@Arg('id', () => ID, { description: 'The resource indicator.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    requireAdmin(ctx);
    await domain(() => provider(ctx).resources.delete(id));
    return true;
  }
}

