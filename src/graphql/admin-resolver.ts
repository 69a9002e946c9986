/**
 * Administration over GraphQL (README "GraphQL"): users, clients, grants, sessions and signing keys,
 * everything the original did in the Django admin and more. Every resolver checks the caller is
 * an administrator before it reads or writes anything; every field of the admin types checks it
 * again (@Authorized on the types), so no path reaches admin data without it.
 */
import { GraphQLError } from 'graphql';
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { ClientService, listClients } from '../clients/client-service.js';
import { Client as ClientEntity } from '../db/entities/client.js';
import { listUsers, UserService } from '../users/user-service.js';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { domain, notFound } from './domain-errors.js';
import { given } from './me-resolver.js';
import { InitialAccessTokenStore, InitialTokenError } from '../clients/initial-access-token-store.js';
import { Client, ClientConnection, ClientMetadataInput, ClientWithSecret, CreateClientInput, CreateInitialAccessTokenInput, InitialAccessTokenResult, toClient } from './types/client.js';
import { decodeCursor, PageArgs, pageSize, toConnection, type Connection } from './types/connection.js';
import { CreateUserInput, toUser, UpdateUserInput, User, UserConnection } from './types/user.js';

function provider(ctx: GraphQLContext) {
  if (!ctx.provider) throw new GraphQLError('administration is available in provider mode', { extensions: { code: 'BAD_REQUEST' } });
  return ctx.provider;
}

function clientService(ctx: GraphQLContext): ClientService {
  const p = provider(ctx);
  return new ClientService(ctx.em, (id) => p.clients.changed(id), async () => p.keys.encryption);
}

@Resolver()
export class UserAdminResolver {
  @Query(() => UserConnection, { description: 'Users, by username. Admin.' })
  async users(@Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<Connection<User>> {
    requireAdmin(ctx);
    const limit = pageSize(args.first);
    const rows = await listUsers(ctx.em, { search: args.search ?? undefined, afterUsername: decodeCursor('users', args.after), limit: limit + 1 });
    return toConnection('users', rows, limit, (u) => u.username, toUser);
  }

  @Query(() => User, { nullable: true, description: 'A user by id; null when there is none. Admin.' })
  async user(@Arg('id', () => ID, { description: 'The user id.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<User | null> {
    requireAdmin(ctx);
    const found = await new UserService(ctx.em).findById(id);
    return found ? toUser(found) : null;
  }

  @Mutation(() => User, { description: 'Creates a user. Admin.' })
  async createUser(@Arg('input', () => CreateUserInput, { description: 'The new user.' }) input: CreateUserInput, @Ctx() ctx: GraphQLContext): Promise<User> {
    requireAdmin(ctx);
    return toUser(await domain(() => new UserService(ctx.em).create(given(input) as Parameters<UserService['create']>[0])));
  }

  @Mutation(() => User, { description: 'Changes a user; disabling one ends their sessions and grants. Admin.' })
  async updateUser(@Arg('id', () => ID, { description: 'The user id.' }) id: string, @Arg('input', () => UpdateUserInput, { description: 'The changes.' }) input: UpdateUserInput, @Ctx() ctx: GraphQLContext): Promise<User> {
    requireAdmin(ctx);
    return toUser(await domain(() => new UserService(ctx.em).update({ id }, given(input) as Parameters<UserService['update']>[1])));
  }

  @Mutation(() => Boolean, { description: 'Deletes a user with their sessions, grants and tokens. Admin.' })
  async deleteUser(@Arg('id', () => ID, { description: 'The user id.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    requireAdmin(ctx);
    await domain(() => new UserService(ctx.em).delete({ id }));
    return true;
  }

  @Mutation(() => User, { description: 'Sets (or with null, removes) a user\'s password; ends their sessions and grants. Admin.' })
  async setUserPassword(@Arg('id', () => ID, { description: 'The user id.' }) id: string, @Arg('password', () => String, { nullable: true, description: 'The new password (8–1024 characters); null removes it.' }) password: string | null, @Ctx() ctx: GraphQLContext): Promise<User> {
    requireAdmin(ctx);
    return toUser(await domain(() => new UserService(ctx.em).setPassword({ id }, password)));
  }
}

@Resolver()
export class ClientAdminResolver {
  @Query(() => ClientConnection, { description: 'Registered clients, by client_id. Admin.' })
  async clients(@Args(() => PageArgs) args: PageArgs, @Ctx() ctx: GraphQLContext): Promise<Connection<Client>> {
    requireAdmin(ctx);
    const limit = pageSize(args.first);
    const rows = await listClients(ctx.em, { search: args.search ?? undefined, afterId: decodeCursor('clients', args.after), limit: limit + 1 });
    return toConnection('clients', rows, limit, (c) => c.id, toClient);
  }

  @Query(() => Client, { nullable: true, description: 'A client by client_id; null when there is none. Admin.' })
  async client(@Arg('id', () => ID, { description: 'The client_id.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<Client | null> {
    requireAdmin(ctx);
    const found = await ctx.em.findOne(ClientEntity, { id });
    return found ? toClient(found) : null;
  }

  @Mutation(() => ClientWithSecret, { description: 'Registers a client; its secret is returned this once. Admin.' })
  async createClient(@Arg('input', () => CreateClientInput, { description: 'The new client.' }) input: CreateClientInput, @Ctx() ctx: GraphQLContext): Promise<ClientWithSecret> {
    requireAdmin(ctx);
    const data = clientInput(given(input));
    const { client, secret } = await domain(() => clientService(ctx).create({ ...data, name: data.name ?? '', redirectUris: data.redirectUris ?? [] } as Parameters<ClientService['create']>[0]));
    return { client: toClient(client), clientSecret: secret ?? null };
  }

  @Mutation(() => Client, { description: 'Changes a client; lists given replace the old ones. Admin.' })
  async updateClient(@Arg('id', () => ID, { description: 'The client_id.' }) id: string, @Arg('input', () => ClientMetadataInput, { description: 'The changes.' }) input: ClientMetadataInput, @Ctx() ctx: GraphQLContext): Promise<Client> {
    requireAdmin(ctx);
    return toClient(await domain(() => clientService(ctx).update(id, clientInput(given(input)) as Parameters<ClientService['update']>[1])));
  }

  @Mutation(() => Boolean, { description: 'Deletes a client with its grants and tokens. Admin.' })
  async deleteClient(@Arg('id', () => ID, { description: 'The client_id.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    requireAdmin(ctx);
    await domain(() => clientService(ctx).delete(id));
    return true;
  }

  @Mutation(() => ClientWithSecret, { description: 'Replaces a client\'s secret (the old one stops working at once); the new one is returned this once. Admin.' })
  async rotateClientSecret(
    @Arg('id', () => ID, { description: 'The client_id.' }) id: string,
    @Arg('tokenEndpointAuthMethod', () => String, { nullable: true, description: 'How it then authenticates: client_secret_basic, client_secret_post or client_secret_jwt. Default: client_secret_jwt for such a client, client_secret_basic otherwise.' }) method: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ClientWithSecret> {
    requireAdmin(ctx);
    const { client, secret } = await domain(() => clientService(ctx).rotateSecret(id, (method ?? undefined) as Parameters<ClientService['rotateSecret']>[1]));
    return { client: toClient(client), clientSecret: secret };
  }

  @Mutation(() => InitialAccessTokenResult, { description: 'Makes an initial access token for dynamic client registration at /register (JWT_OIDC_REGISTRATION_POLICY=initial-token, RFC 7591 §3); the token is returned this once. Admin.' })
  async createInitialAccessToken(@Arg('input', () => CreateInitialAccessTokenInput, { nullable: true, description: 'Its lifetime and uses.' }) input: CreateInitialAccessTokenInput | null, @Ctx() ctx: GraphQLContext): Promise<InitialAccessTokenResult> {
    requireAdmin(ctx);
    const p = provider(ctx);
    try {
      return await new InitialAccessTokenStore(ctx.em, p.clock).create({ expiresIn: input?.expiresIn, maxUses: input?.maxUses });
    } catch (e) {
      if (e instanceof InitialTokenError) throw new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT', field: e.message.split(':')[0] } });
      throw e;
    }
  }
}

/** GraphQL's list of extra claims becomes the service's map; a null method is no change. */
function clientInput<T extends { extraIdTokenClaims?: { claim: string; field: string; scope: string }[] | null; tokenEndpointAuthMethod?: string | null; tokenExchange?: { audiences: string[]; scopes?: string[] | null; widen?: boolean | null } | null }>(input: T) {
  const { extraIdTokenClaims, tokenEndpointAuthMethod, tokenExchange, ...all } = input;
  // A policy's absent members are null in GraphQL, absent in the domain.
  const policy = tokenExchange ? { audiences: tokenExchange.audiences, ...(tokenExchange.scopes ? { scopes: tokenExchange.scopes } : {}), ...(tokenExchange.widen ? { widen: true } : {}) } : tokenExchange;
  const withPolicy = policy === undefined ? all : { ...all, tokenExchange: policy };
  const rest = tokenEndpointAuthMethod === null || tokenEndpointAuthMethod === undefined ? withPolicy : { ...withPolicy, tokenEndpointAuthMethod };
  return extraIdTokenClaims === undefined || extraIdTokenClaims === null
    ? rest
    : { ...rest, extraIdTokenClaims: Object.fromEntries(extraIdTokenClaims.map(({ claim, field, scope }) => [claim, { field, scope }])) };
}

export { notFound, provider };
