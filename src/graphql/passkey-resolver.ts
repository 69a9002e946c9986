/**
 * Registering the caller's own passkeys over GraphQL (docs/ACCOUNTS.md "Passkeys"):
 * `startPasskeyRegistration` and `finishPasskeyRegistration`. Listed in `Me.factors` and removed
 * with `removeMyFactor` as every factor (src/graphql/factor-resolver.ts).
 *
 * The rules of the other factors: a user's token of a first-party application (`accountOwner`;
 * FORBIDDEN otherwise), only the caller's own registrations (another user's id is NOT_FOUND),
 * and the current password, under the throttle of wrong ones, before anything is started: a
 * stolen session alone cannot add the thief's passkey (docs/SECURITY.md MF-01, PK-*).
 */
import { GraphQLError } from 'graphql';
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { audit } from '../audit.js';
import { PasskeyService, relyingPartyOf } from '../users/passkeys.js';
import { UserService } from '../users/user-service.js';
import { accountOwner, withCurrentPassword, type Owner } from './account-resolver.js';
import type { GraphQLContext } from './context.js';
import { domain } from './domain-errors.js';
import { PasskeyAdded, PasskeyRegistration } from './types/passkeys.js';

/** The service for the caller's provider: the issuer is the relying party (its host the RP ID). */
export function passkeysOf(owner: Owner, ctx: GraphQLContext): PasskeyService {
  const { issuer, settings, clock } = owner.provider;
  return new PasskeyService({ em: ctx.em, clock, rp: relyingPartyOf(issuer, settings.productName ?? new URL(issuer).hostname) });
}

@Resolver()
export class PasskeyResolver {
  @Mutation(() => PasskeyRegistration, {
    description:
      'Starts adding a passkey (WebAuthn Level 2): the options for the browser\'s navigator.credentials.create(), valid 5 minutes; replaces a passkey registration of the caller not finished yet (an authenticator app\'s enrolment not confirmed yet stays). The current password must be right (BAD_USER_INPUT on currentPassword; throttled as changeMyPassword). Needs a user token of a first-party application with profile or profile:write.',
  })
  async startPasskeyRegistration(
    @Arg('currentPassword', () => String, { description: 'The password now: whoever holds a session alone cannot change how the account signs in.' }) currentPassword: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PasskeyRegistration> {
    const owner = await accountOwner(ctx);
    await withCurrentPassword(owner, ctx, 'mfa.failed', () => domain(() => new UserService(ctx.em).confirmPassword(owner.auth.user.id, currentPassword)));
    const started = await passkeysOf(owner, ctx).startRegistration(owner.auth.user);
    return { id: started.id, options: JSON.stringify(started.options) };
  }

  @Mutation(() => PasskeyAdded, {
    description:
      'Finishes adding a passkey with the browser\'s answer, which turns it on. With the caller\'s first factor come ten recovery codes, shown this once. BAD_USER_INPUT on response when it does not verify (challenge, origin, RP ID, signature) or the passkey is registered already, on name for an empty one; NOT_FOUND for an id that is not a pending registration of the caller (or one older than 5 minutes, or finished already). Needs a user token of a first-party application with profile or profile:write.',
  })
  async finishPasskeyRegistration(
    @Arg('id', () => ID, { description: 'The registration (`PasskeyRegistration.id`).' }) id: string,
    @Arg('response', () => String, { description: 'The RegistrationResponseJSON the browser gave (what @simplewebauthn/browser\'s startRegistration returns), as JSON text.' }) response: string,
    @Arg('name', () => String, { description: 'A name for the passkey, 1–100 characters ("Laptop").' }) name: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PasskeyAdded> {
    const owner = await accountOwner(ctx);
    const { auth } = owner;
    try {
      const added = await domain(() => passkeysOf(owner, ctx).finishRegistration(auth.user.id, id, response, name));
      audit(ctx.logger, 'mfa.enrolled', { outcome: 'success', actor: auth.user.id, client: auth.clientId, kind: 'passkey', factor: id, ip: ctx.ip }, 'second factor added by its user');
      const { factor } = added;
      return { factor: { id: factor.id, kind: factor.kind, name: factor.name, createdAt: factor.createdAt, lastUsedAt: factor.lastUsedAt }, recoveryCodes: added.recoveryCodes };
    } catch (e) {
      if (e instanceof GraphQLError && e.extensions.field === 'response') audit(ctx.logger, 'mfa.failed', { outcome: 'failure', actor: auth.user.id, client: auth.clientId, kind: 'passkey', factor: id, ip: ctx.ip }, 'passkey not registered: the response did not verify');
      throw e;
    }
  }
}
