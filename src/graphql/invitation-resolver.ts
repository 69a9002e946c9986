/**
 * `inviteUser` (docs/ACCOUNTS.md "Invitations"): the GraphQL face of src/users/invitations.ts,
 * for administrators only, as the other user mutations (src/graphql/admin-resolver.ts).
 */
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { inviteUser, InvitationError } from '../users/invitations.js';
import { UserService } from '../users/user-service.js';
import { requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { domain } from './domain-errors.js';
import { Invitation } from './types/invitation.js';

/** The code of an invitation the settings do not allow: JWT_OIDC_REGISTRATION is off (or the service has no mail). */
export const INVITATIONS_DISABLED = 'INVITATIONS_DISABLED';

@Resolver()
export class InvitationResolver {
  @Mutation(() => Invitation, { description: 'Mails a single-use link to `email` that lets its reader create their account, with that address verified. Replaces the address\'s earlier invitation; refused for an address that has an account (BAD_USER_INPUT on `email`), and with JWT_OIDC_REGISTRATION=off (INVITATIONS_DISABLED). Admin.' })
  async inviteUser(
    @Arg('email', () => String, { description: 'Where the invitation goes: the address of the account.' }) email: string,
    @Arg('admin', () => Boolean, { defaultValue: false, description: 'Whether the account will be an administrator.' }) admin: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Invitation> {
    const auth = requireAdmin(ctx);
    const provider = ctx.provider;
    if (!provider) throw new GraphQLError('administration is available in provider mode', { extensions: { code: 'BAD_REQUEST' } });
    try {
      return await domain(() =>
        inviteUser(
          { users: new UserService(ctx.em), settings: provider.settings, issuer: provider.issuer, clock: provider.clock, mailer: provider.mailer, logger: ctx.logger },
          { email, admin, invitedBy: auth.sub, ip: ctx.ip },
        ),
      );
    } catch (e) {
      if (e instanceof InvitationError) throw new GraphQLError(e.message, { extensions: { code: INVITATIONS_DISABLED } });
      throw e;
    }
  }
}
