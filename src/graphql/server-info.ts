import { Ctx, Field, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import { VERSION } from '../version.js';
import type { GraphQLContext } from './context.js';

export enum ServerMode {
  provider = 'provider',
  client = 'client',
  fake = 'fake',
}
registerEnumType(ServerMode, {
  name: 'ServerMode',
  description: 'The mode this server runs in (setting TYPE).',
  valuesConfig: {
    provider: { description: 'An OpenID Provider.' },
    client: { description: 'A relying party (a frontend\'s backend) logging users in at another provider.' },
    fake: { description: 'A development provider that logs in any subject; never for production.' },
  },
});

@ObjectType({ description: 'Public facts about this server.' })
export class ServerInfo {
  @Field(() => String, { description: 'Version of jwt-oidc.' })
  version!: string;

  @Field(() => ServerMode, { description: 'The mode this server runs in.' })
  mode!: ServerMode;

  @Field(() => String, { nullable: true, description: 'The issuer identifier in provider mode; null otherwise.' })
  issuer!: string | null;
}

@Resolver()
export class ServerInfoResolver {
  @Query(() => ServerInfo, { description: 'Public facts about this server; needs no authentication.' })
  serverInfo(@Ctx() { settings }: GraphQLContext): ServerInfo {
    return { version: VERSION, mode: settings.type as ServerMode, issuer: settings.issuer ?? null };
  }
}
