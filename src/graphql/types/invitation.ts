import { Authorized, Field, ObjectType } from 'type-graphql';
import { ADMIN } from '../auth.js';

@Authorized(ADMIN)
@ObjectType({ description: 'An invitation mailed to an email address (docs/ACCOUNTS.md "Invitations"). Every field needs the admin scope.' })
export class Invitation {
  @Field(() => String, { description: 'The address the invitation went to: the account gets it, verified.' })
  email!: string;

  @Field(() => Boolean, { description: 'Whether the account will be an administrator.' })
  admin!: boolean;

  @Field(() => Date, { description: 'Until when the link works (JWT_OIDC_INVITATION_LIFETIME); it works once.' })
  expiresAt!: Date;
}
