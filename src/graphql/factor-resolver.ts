/**
 * The caller's own second factors over GraphQL (docs/ACCOUNTS.md "Two-step sign-in"):
 * `Me.factors`, `startTotpEnrolment`, `confirmTotpEnrolment`, `removeMyFactor`,
 * `regenerateRecoveryCodes`; and the administrators' `User.factors`, `User.recoveryCodesLeft`,
 * `removeUserFactor` and `resetUserFactors` (the admin scope of an administrator, as every admin
 * field: docs/SECURITY.md MF-15).
 *
 * As the rest of the own account (src/graphql/account-resolver.ts): only with a user's token of
 * a first-party application (`accountOwner`; FORBIDDEN otherwise), only the caller's own rows
 * (another user's factor id is NOT_FOUND), and what changes the factors asks the current
 * password under the throttle of wrong ones (`withCurrentPassword`): a stolen session alone can
 * neither add a factor the thief controls nor remove the owner's (docs/SECURITY.md MF-*).
 */
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { audit } from '../audit.js';
import type { FactorRow } from '../users/factor-store.js';
import { FactorService, factorsOf as adminFactorsOf, removeFactorOf, resetFactors } from '../users/factors.js';
import { UserService } from '../users/user-service.js';
import { accountOwner, withCurrentPassword, type Owner } from './account-resolver.js';
import { ADMIN, requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { domain } from './domain-errors.js';
import { Factor, TotpEnrolment } from './types/factors.js';
import { Me } from './types/me.js';
import { User } from './types/user.js';

const toFactor = (f: FactorRow): Factor => ({ id: f.id, kind: f.kind, name: f.name, createdAt: f.createdAt, lastUsedAt: f.lastUsedAt });

function factorsOf(owner: Owner, ctx: GraphQLContext): FactorService {
  return new FactorService({ em: ctx.em, clock: owner.provider.clock, sealer: owner.provider.keys.encryption });
}

/** The current password, checked and throttled as changeMyPassword's (a wrong one: BAD_USER_INPUT on currentPassword). */
function confirmed(owner: Owner, ctx: GraphQLContext, currentPassword: string): Promise<unknown> {
  return withCurrentPassword(owner, ctx, 'mfa.failed', () => domain(() => new UserService(ctx.em).confirmPassword(owner.auth.user.id, currentPassword)));
}

const CURRENT_PASSWORD = { description: 'The password now: whoever holds a session alone cannot change how the account signs in.' };

@Resolver(() => Me)
export class FactorResolver {
  @FieldResolver(() => [Factor], {
    description: 'The caller\'s second factors, oldest first (enrolments not confirmed are not listed). Needs a user token of a first-party application with profile or profile:write (otherwise FORBIDDEN).',
  })
  async factors(@Ctx() ctx: GraphQLContext): Promise<Factor[]> {
    const owner = await accountOwner(ctx);
    return (await factorsOf(owner, ctx).list(owner.auth.user.id)).map(toFactor);
  }

  @Mutation(() => TotpEnrolment, {
    description:
      'Starts adding an authenticator app (TOTP, RFC 6238): a new secret, its otpauth URI and QR code, shown this once. Replaces an enrolment of the caller not confirmed yet; confirm within 10 minutes with confirmTotpEnrolment. The current password must be right (BAD_USER_INPUT on currentPassword; throttled as changeMyPassword). Needs a user token of a first-party application with profile or profile:write.',
  })
  async startTotpEnrolment(@Arg('currentPassword', () => String, CURRENT_PASSWORD) currentPassword: string, @Ctx() ctx: GraphQLContext): Promise<TotpEnrolment> {
    const owner = await accountOwner(ctx);
    await confirmed(owner, ctx, currentPassword);
    const { user } = owner.auth;
    return factorsOf(owner, ctx).startTotp(user, new URL(owner.provider.issuer).host);
  }

  @Mutation(() => [String], {
    description:
      'Confirms an enrolment with a code the app shows now, which turns the factor on. Returns ten new recovery codes, shown this once (each signs in once instead of a code; they replace any earlier set). BAD_USER_INPUT on code for a wrong code, on name for an empty one; NOT_FOUND for an id that is not a pending enrolment of the caller (or one older than 10 minutes). Needs a user token of a first-party application with profile or profile:write.',
  })
  async confirmTotpEnrolment(
    @Arg('id', () => ID, { description: 'The enrolment (`TotpEnrolment.id`).' }) id: string,
    @Arg('code', () => String, { description: 'The 6-digit code the app shows.' }) code: string,
    @Arg('name', () => String, { description: 'A name for the factor, 1–100 characters ("Phone").' }) name: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<string[]> {
    const owner = await accountOwner(ctx);
    const { auth } = owner;
    try {
      const codes = await domain(() => factorsOf(owner, ctx).confirmTotp(auth.user.id, id, code, name));
      audit(ctx.logger, 'mfa.enrolled', { outcome: 'success', actor: auth.user.id, client: auth.clientId, kind: 'totp', factor: id, ip: ctx.ip }, 'second factor added by its user');
      return codes;
    } catch (e) {
      if (e instanceof GraphQLError && e.extensions.field === 'code') audit(ctx.logger, 'mfa.failed', { outcome: 'failure', actor: auth.user.id, client: auth.clientId, kind: 'totp', factor: id, ip: ctx.ip }, 'enrolment not confirmed: wrong code');
      throw e;
    }
  }

  @Mutation(() => Boolean, {
    description:
      'Removes one of the caller\'s factors (with the last one, the recovery codes go too). Under JWT_OIDC_MFA=required the last one cannot be removed (BAD_USER_INPUT on id). The current password must be right (BAD_USER_INPUT on currentPassword; throttled as changeMyPassword). NOT_FOUND for an id that is not one of the caller\'s factors. Needs a user token of a first-party application with profile or profile:write.',
  })
  async removeMyFactor(@Arg('id', () => ID, { description: 'The factor (`Factor.id`).' }) id: string, @Arg('currentPassword', () => String, CURRENT_PASSWORD) currentPassword: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const owner = await accountOwner(ctx);
    const { auth } = owner;
    await confirmed(owner, ctx, currentPassword);
    // JWT_OIDC_MFA=required: the last factor stays (docs/ACCOUNTS.md "Two-step sign-in", "The policy").
    const removed = await domain(() => factorsOf(owner, ctx).remove(auth.user.id, id, { keepOne: owner.provider.settings.type === 'provider' && owner.provider.settings.mfa === 'required' }));
    audit(ctx.logger, 'mfa.removed', { outcome: 'success', actor: auth.user.id, client: auth.clientId, kind: removed.kind, factor: id, ip: ctx.ip }, 'second factor removed by its user');
    return true;
  }

  @Mutation(() => [String], {
    description:
      'Ten new recovery codes for the caller, shown this once; the earlier ones stop working. Only with a second factor (BAD_USER_INPUT otherwise). The current password must be right (BAD_USER_INPUT on currentPassword; throttled as changeMyPassword). Needs a user token of a first-party application with profile or profile:write.',
  })
  async regenerateRecoveryCodes(@Arg('currentPassword', () => String, CURRENT_PASSWORD) currentPassword: string, @Ctx() ctx: GraphQLContext): Promise<string[]> {
    const owner = await accountOwner(ctx);
    const { auth } = owner;
    await confirmed(owner, ctx, currentPassword);
    const codes = await domain(() => factorsOf(owner, ctx).regenerateRecoveryCodes(auth.user.id));
    audit(ctx.logger, 'mfa.recovery_codes_regenerated', { outcome: 'success', actor: auth.user.id, client: auth.clientId, kind: 'recovery', ip: ctx.ip }, 'recovery codes replaced by their user');
    return codes;
  }
}

/** What administrators read of a user's second factors (the admin `User` type). */
@Resolver(() => User)
export class UserFactorsResolver {
  @Authorized(ADMIN)
  @FieldResolver(() => [Factor], { description: 'The user\'s second factors, oldest first (enrolments not confirmed are not listed); any kind (`totp`, …). Admin.' })
  async factors(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<Factor[]> {
    requireAdmin(ctx);
    return (await adminFactorsOf(ctx.em, user.id)).factors.map(toFactor);
  }

  @Authorized(ADMIN)
  @FieldResolver(() => Int, { description: 'How many of the user\'s recovery codes are left unused (0: none, or no set). Admin.' })
  async recoveryCodesLeft(@Root() user: User, @Ctx() ctx: GraphQLContext): Promise<number> {
    requireAdmin(ctx);
    return (await adminFactorsOf(ctx.em, user.id)).recoveryCodesLeft;
  }
}

@Resolver()
export class FactorAdminResolver {
  @Mutation(() => Boolean, {
    description: 'Removes one second factor of a user (with their last one, the recovery codes go too). NOT_FOUND for an unknown user, or a factor that is not theirs. Admin.',
  })
  async removeUserFactor(@Arg('userId', () => ID, { description: 'The user id.' }) userId: string, @Arg('factorId', () => ID, { description: 'The factor (`Factor.id`).' }) factorId: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const auth = requireAdmin(ctx);
    const { kind } = await domain(() => removeFactorOf(ctx.em, { id: userId }, factorId));
    audit(ctx.logger, 'mfa.removed', { outcome: 'success', actor: auth.sub, client: auth.clientId, user: userId, kind, factor: factorId, ip: ctx.ip }, 'second factor removed by an administrator');
    return true;
  }

  @Mutation(() => Int, {
    description: 'Removes every second factor and recovery code of a user (a lost phone). How many factors were removed. NOT_FOUND for an unknown user. Admin.',
  })
  async resetUserFactors(@Arg('userId', () => ID, { description: 'The user id.' }) userId: string, @Ctx() ctx: GraphQLContext): Promise<number> {
    const auth = requireAdmin(ctx);
    const { removed } = await domain(() => resetFactors(ctx.em, { id: userId }));
    audit(ctx.logger, 'mfa.reset', { outcome: 'success', actor: auth.sub, client: auth.clientId, user: userId, removed, ip: ctx.ip }, 'second factors reset by an administrator');
    return removed;
  }
}
