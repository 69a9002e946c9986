import { Authorized, Field, ID, InputType, ObjectType } from 'type-graphql';
import type { User as UserEntity } from '../../db/entities/user.js';
import { ADMIN } from '../auth.js';
import { connectionOf } from './connection.js';

@ObjectType({ description: 'A user as they and the apps they use see themselves: no administrative fields.' })
export class PublicUser {
  @Field(() => ID, { description: 'Stable identifier; the `sub` of tokens.' })
  id!: string;

  @Field(() => String, { description: 'Login name (lower case).' })
  username!: string;

  @Field(() => String, { nullable: true, description: 'Email address.' })
  email!: string | null;

  @Field(() => Boolean, { description: 'Whether the email address was verified.' })
  emailVerified!: boolean;

  @Field(() => String, { nullable: true, description: 'Given name.' })
  givenName!: string | null;

  @Field(() => String, { nullable: true, description: 'Family name.' })
  familyName!: string | null;

  @Field(() => String, { nullable: true, description: 'Preferred language, a BCP 47 tag.' })
  locale!: string | null;

  @Field(() => String, { nullable: true, description: 'URL of a profile picture.' })
  picture!: string | null;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A user, with the fields administrators manage. Every field needs the admin scope.' })
export class User extends PublicUser {
  @Field(() => Boolean, { description: 'Inactive users cannot log in; their tokens stop working.' })
  active!: boolean;

  @Field(() => Boolean, { description: 'May obtain the admin scope.' })
  admin!: boolean;

  @Field(() => Boolean, { description: 'Whether the user has a password (the hash itself is never exposed).' })
  hasPassword!: boolean;

  @Field(() => Date, { description: 'When the user was created.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the user last changed.' })
  updatedAt!: Date;
}

export const UserConnection = connectionOf(User, 'User');

export function toPublicUser(u: UserEntity): PublicUser {
  return { id: u.id, username: u.username, email: u.email ?? null, emailVerified: u.emailVerified, givenName: u.givenName ?? null, familyName: u.familyName ?? null, locale: u.locale ?? null, picture: u.picture ?? null };
}

/** client mode: a local user of any user store, with only the fields it really has. */
export function fromLocalUser(u: { id: string; [field: string]: unknown }): PublicUser {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { id: u.id, username: text(u.username) ?? u.id, email: text(u.email), emailVerified: u.emailVerified === true, givenName: text(u.givenName), familyName: text(u.familyName), locale: text(u.locale), picture: text(u.picture) };
}

export function toUser(u: UserEntity): User {
  return { ...toPublicUser(u), active: u.active, admin: u.admin, hasPassword: u.passwordHash != null, createdAt: u.createdAt, updatedAt: u.updatedAt };
}

@InputType({ description: 'What users may change about themselves.' })
export class UpdateMeInput {
  @Field(() => String, { nullable: true, description: 'Given name.' })
  givenName?: string | null;

  @Field(() => String, { nullable: true, description: 'Family name.' })
  familyName?: string | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag.' })
  locale?: string | null;

  @Field(() => String, { nullable: true, description: 'http(s) URL of a profile picture.' })
  picture?: string | null;
}

@InputType({ description: 'Changes to a user; omitted fields stay as they are.' })
export class UpdateUserInput extends UpdateMeInput {
  @Field(() => String, { nullable: true, description: 'Email address.' })
  email?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the email address is verified.' })
  emailVerified?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'May obtain the admin scope.' })
  admin?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Can log in; false ends the user\'s sessions and grants.' })
  active?: boolean | null;
}

@InputType({ description: 'A new user; flags default to not verified, not admin, active.' })
export class CreateUserInput extends UpdateUserInput {
  @Field(() => String, { description: 'Login name; stored in lower case; letters, digits and . _ @ + -.' })
  username!: string;

  @Field(() => String, { nullable: true, description: 'Initial password (8–1024 characters); none: the user cannot log in with a password.' })
  password?: string | null;
}
