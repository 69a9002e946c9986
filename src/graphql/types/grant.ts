import { Authorized, Field, ID, Int, ObjectType } from 'type-graphql';
import { ADMIN } from '../auth.js';

@Authorized(ADMIN)
@ObjectType({ description: 'One authorization: the tokens that follow from one login and consent of a user for a client.' })
export class Grant {
  @Field(() => ID, { description: 'Identifier (the `grant_id` claim of its access tokens).' })
  id!: string;

  @Field(() => ID, { description: 'The client.' })
  clientId!: string;

  @Field(() => ID, { description: 'The user.' })
  userId!: string;

  @Field(() => [String], { description: 'Scopes granted.' })
  scopes!: string[];

  @Field(() => Date, { description: 'When the user authenticated.' })
  authTime!: Date;

  @Field(() => Int, { description: 'Refreshes done so far.' })
  refreshCount!: number;

  @Field(() => Date, { description: 'When it was granted.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When its last refresh token expires.' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; null while it is not.' })
  revokedAt!: Date | null;

  @Field(() => Boolean, { description: 'Not revoked and not expired: its tokens work.' })
  active!: boolean;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A browser\'s login session at the provider.' })
export class Session {
  @Field(() => ID, { description: 'The session id (`sid` of ID tokens), not the cookie.' })
  id!: string;

  @Field(() => ID, { description: 'The user.' })
  userId!: string;

  @Field(() => Date, { description: 'When the user authenticated.' })
  authTime!: Date;

  @Field(() => [String], { description: 'Authentication methods (amr).' })
  amr!: string[];

  @Field(() => Date, { description: 'When it started.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it ends.' })
  expiresAt!: Date;
}
