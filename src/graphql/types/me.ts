import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { PublicUser } from './user.js';

@ObjectType({ description: 'The caller, from their access token.' })
export class Me {
  @Field(() => String, { description: 'The subject: a user id, or the client id of a client_credentials token.' })
  sub!: string;

  @Field(() => String, { description: 'The client the token was issued to.' })
  clientId!: string;

  @Field(() => [String], { description: 'Scopes of the token.' })
  scopes!: string[];

  @Field(() => GraphQLJSONObject, { description: 'The verified claims of the access token.' })
  claims!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Exactly what the userinfo endpoint returns for this token; null without a user or the openid scope.' })
  userinfo!: Record<string, unknown> | null;

  @Field(() => PublicUser, { nullable: true, description: 'The user; null for a client_credentials token.' })
  user!: PublicUser | null;
}
