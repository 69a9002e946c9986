/**
 * The signed-in user's own account over GraphQL (README "GraphQL", docs/ACCOUNTS.md "Your own
 * account"), for the account page and for applications that build their own: `Me.sessions`,
 * `Me.connectedApps`, `endMySession`, `revokeMyGrant` and `changeMyPassword`.
 *
 * Only the caller's own rows: no argument names a user, and an id of another user's session or
 * application reads as none (NOT_FOUND, nothing changed). Only with a user's token of a
 * first-party client with `profile` or `profile:write` (`mayManageAccount`): a third-party
 * application may not see the user's other sessions and apps, sign them out, cut other apps off or
 * change the password (FORBIDDEN). Rows are reached through the provider's stores
 * (docs/ARCHITECTURE.md "One way to each table").
 */
import { GraphQLError } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver } from 'type-graphql';
import { audit } from '../audit.js';
import type { User } from '../db/entities/user.js';
import { mayManageAccount } from '../provider/authorization/scopes.js';
import type { ProviderContext } from '../provider/context.js';
import { addressKey } from '../provider/throttle/login-keys.js';
import type { ThrottleRule } from '../provider/throttle/shared-throttle.js';
import { startEmailChange } from '../users/email-change.js';
import { UserService } from '../users/user-service.js';
import { sha256 } from '../util/digest.js';
import { forbidden, requireAuth } from './auth.js';
import type { Auth, GraphQLContext } from './context.js';
import { domain, notFound } from './domain-errors.js';
import { ConnectedApp, MySession } from './types/account.js';
import { Me } from './types/me.js';

/** The caller managing their own account, and the provider that keeps it. */
export interface Owner {
  auth: Auth & { user: User };
  provider: ProviderContext;
}

/**
 * The caller, when they may manage their account: BAD_REQUEST outside the provider (client mode
 * keeps no accounts of its own), UNAUTHENTICATED without a token, FORBIDDEN for a token without a
 * user (client_credentials) or of a client that may not (`mayManageAccount`).
 */
export async function accountOwner(ctx: GraphQLContext): Promise<Owner> {
  if (!ctx.provider) throw new GraphQLError('the account is managed at the identity provider, not in client mode', { extensions: { code: 'BAD_REQUEST' } });
  const auth = requireAuth(ctx);
  if (!auth.user) throw forbidden('a user token is required');
  if (!mayManageAccount(auth.scopes, await ctx.provider.clients.get(auth.clientId))) {
    throw forbidden('managing the account takes a token of a first-party application with the profile or profile:write scope');
  }
  return { auth: auth as Owner['auth'], provider: ctx.provider };
}

/** The caller's own grant and the session it was made in (the grant records its `sid`), when the token has a grant. */
async function ownGrant(owner: Owner): Promise<{ grantId: string; sid: string | null } | undefined> {
  const grant = owner.auth.grantId ? await owner.provider.grants.findGrant(owner.auth.grantId) : undefined;
  return grant ? { grantId: grant.id, sid: grant.sid } : undefined;
}

/**
 * Too many wrong current passwords for this account (or this address): TOO_MANY_REQUESTS with
 * `retryAfter`, and HTTP 429 with `Retry-After` (RFC 6585 §4), as the rate limit answers.
 */
function tooManyAttempts(retryAfter: number, busy: boolean): GraphQLError {
  return tooManyRequests(busy ? 'another password change of this account is being checked; try again in a moment' : `too many wrong passwords: try again in ${retryAfter} s`, retryAfter);
}

/** TOO_MANY_REQUESTS with `retryAfter`, and HTTP 429 with `Retry-After` (RFC 6585 §4), as the rate limit answers. */
function tooManyRequests(message: string, retryAfter: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'TOO_MANY_REQUESTS', retryAfter, http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) } } });
}

/**
 * Runs `act`, which checks the caller's current password, under the throttle of wrong ones
 * (docs/SECURITY.md SE-04, AC-10): guessing it through the API is bounded as at the sign-in form —
 * reserved before the check, in PostgreSQL across instances, one check at a time per account; the
 * address shares the sign-in form's budget. Whatever `act` throws counts as a failure, audited as
 * `failedEvent`; never as a free attempt.
 */
export async function withCurrentPassword<T>(owner: Owner, ctx: GraphQLContext, failedEvent: 'password.change_failed' | 'email.change_requested' | 'mfa.failed', act: () => Promise<T>): Promise<T> {
  const { auth, provider } = owner;
  const userId = auth.user.id;
  const rules: ThrottleRule[] = [
    { key: `password-change:${throttleKeyOf(userId)}`, limit: provider.settings.loginFailureLimit, exclusive: true },
    { key: `login-${addressKey(ctx.ip)}`, limit: provider.settings.loginAddressFailureLimit },
  ];
  const reservation = await provider.failures.reserveInTurn(rules);
  if (!reservation.ok) {
    audit(ctx.logger, failedEvent, { outcome: 'refused', actor: userId, client: auth.clientId, ip: ctx.ip }, 'throttled: too many wrong current passwords');
    throw tooManyAttempts(reservation.retryAfter, reservation.busy === true);
  }
  let result: T;
  try {
    result = await act();
  } catch (e) {
    await provider.failures.failed(reservation);
    audit(ctx.logger, failedEvent, { outcome: 'failure', actor: userId, client: auth.clientId, ip: ctx.ip }, 'refused: the current password was not confirmed');
    throw e;
  }
  await provider.failures.succeeded(reservation);
  return result;
}

/** A user id is a UUID here; a fake-mode subject may be 255 characters, past what a throttle key holds. */
const throttleKeyOf = (userId: string) => (userId.length <= 200 ? userId : sha256(userId));

/** Email changes asked per account within LOGIN_FAILURE_WINDOW: enough for a typo, too few to flood inboxes. */
const EMAIL_CHANGES_PER_WINDOW = 3;

const byName = (a: ConnectedApp, b: ConnectedApp) => a.clientName.localeCompare(b.clientName) || a.clientId.localeCompare(b.clientId);

@Resolver(() => Me)
export class AccountResolver {
  @FieldResolver(() => [MySession], {
    description: 'The caller\'s live sign-in sessions at the provider, newest first. Needs a user token of a first-party application with profile or profile:write (otherwise FORBIDDEN).',
  })
  async sessions(@Ctx() ctx: GraphQLContext): Promise<MySession[]> {
    const owner = await accountOwner(ctx);
    const [sessions, own] = await Promise.all([owner.provider.sessions.listOfUser(owner.auth.user.id), ownGrant(owner)]);
    return sessions.map((s) => ({
      id: s.sid,
      createdAt: new Date(s.createdAt ?? s.authTime),
      authTime: new Date(s.authTime),
      expiresAt: new Date(s.expiresAt),
      amr: s.amr,
      current: own?.sid != null && own.sid === s.sid,
      userAgent: s.userAgent ?? null,
      ip: s.ip ?? null,
    }));
  }

  @FieldResolver(() => [ConnectedApp], {
    description: 'The applications with access to the caller\'s account (a consent, or active grants), by name. Needs a user token of a first-party application with profile or profile:write (otherwise FORBIDDEN).',
  })
  async connectedApps(@Ctx() ctx: GraphQLContext): Promise<ConnectedApp[]> {
    const { auth, provider } = await accountOwner(ctx);
    const [consents, grants] = await Promise.all([provider.consents.listOfUser(auth.user.id), provider.grants.summaryOfUser(auth.user.id)]);
    const consentOf = new Map(consents.map((c) => [c.clientId, c]));
    const grantsOf = new Map(grants.map((g) => [g.clientId, g]));
    const apps: ConnectedApp[] = [];
    for (const clientId of new Set([...consentOf.keys(), ...grantsOf.keys()])) {
      const consent = consentOf.get(clientId);
      const summary = grantsOf.get(clientId);
      // Revoked or expired grants alone give no access: nothing to show or remove.
      if (!consent && !summary?.activeGrants) continue;
      // Deleted meanwhile (its rows go with it): nothing to name.
      const client = await provider.clients.get(clientId);
      if (!client) continue;
      // The first consent or the oldest grant not revoked, whichever is earlier (a consent given
      // before the column existed carries its last change); the last issuance if neither is known.
      const since = [consent?.createdAt, summary?.firstGrantedAt].filter((t): t is number => typeof t === 'number');
      apps.push({
        clientId,
        clientName: client.name || clientId,
        clientUri: client.clientUri,
        scopes: [...new Set([...(consent?.scopes ?? []), ...(summary && summary.activeGrants > 0 ? summary.activeScopes : [])])].sort(),
        firstGrantedAt: new Date(since.length > 0 ? Math.min(...since) : summary!.lastIssuedAt),
        lastUsedAt: summary ? new Date(summary.lastIssuedAt) : null,
        activeGrants: summary?.activeGrants ?? 0,
      });
    }
    return apps.sort(byName);
  }

  @Mutation(() => Boolean, {
    description:
      'Ends one of the caller\'s own sign-in sessions: that browser must sign in again (its applications\' grants stay: remove an app with revokeMyGrant). NOT_FOUND for an id that is not one of the caller\'s live sessions. Needs a user token of a first-party application with profile or profile:write.',
  })
  async endMySession(@Arg('id', () => ID, { description: 'The session id (`MySession.id`).' }) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const { auth, provider } = await accountOwner(ctx);
    // Another user's session is not told apart from none (docs/SECURITY.md AC-08).
    if (!(await provider.sessions.endOfUser(auth.user.id, id))) throw notFound('session');
    audit(ctx.logger, 'session.revoked', { outcome: 'success', actor: auth.user.id, client: auth.clientId, sid: id, ip: ctx.ip }, 'session ended by its user');
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Removes an application\'s access to the caller\'s account: every grant of the caller with it is revoked (its refresh and access tokens stop working at once) and the consent is forgotten, so that its next sign-in asks again. NOT_FOUND when the application has no access. Needs a user token of a first-party application with profile or profile:write.',
  })
  async revokeMyGrant(@Arg('clientId', () => ID, { description: 'The application (`ConnectedApp.clientId`).' }) clientId: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const { auth, provider } = await accountOwner(ctx);
    if (clientId.length > 255) throw notFound('connected app');
    const userId = auth.user.id;
    // Both or neither: an app left with its consent but no grant would sign in again without asking.
    const { revoked, forgotten } = await provider.orm.em.fork().transactional(async (em) => ({
      revoked: await provider.grants.revokeOfUserAndClient(userId, clientId, em),
      forgotten: await provider.consents.forget(userId, clientId, em),
    }));
    if (revoked.length === 0 && !forgotten) throw notFound('connected app');
    audit(ctx.logger, 'grant.revoked', { outcome: 'success', actor: userId, client: auth.clientId, app: clientId, grants: revoked, consentForgotten: forgotten, ip: ctx.ip }, 'application access removed by its user');
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Changes the caller\'s password. The current one must be right (BAD_USER_INPUT on currentPassword; after LOGIN_FAILURE_LIMIT wrong ones within LOGIN_FAILURE_WINDOW, TOO_MANY_REQUESTS with retryAfter), the new one follow the rules of setUserPassword (BAD_USER_INPUT on newPassword). Ends the password-reset links, and with endOtherSessions every other session and grant: the caller\'s own grant and the session it came from stay. Needs a user token of a first-party application with profile or profile:write.',
  })
  async changeMyPassword(
    @Arg('currentPassword', () => String, { description: 'The password now.' }) currentPassword: string,
    @Arg('newPassword', () => String, { description: 'The new password (8–1024 characters).' }) newPassword: string,
    @Arg('endOtherSessions', () => Boolean, { defaultValue: true, description: 'Also end every other session and grant of the caller (whoever knew the old password is signed out); the caller\'s own grant and session stay.' })
    endOtherSessions: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    const owner = await accountOwner(ctx);
    const { auth } = owner;
    const userId = auth.user.id;
    const users = new UserService(ctx.em);
    // A new password the rules refuse is told before anything is spent or checked.
    await domain(async () => users.checkNewPassword(newPassword));
    await withCurrentPassword(owner, ctx, 'password.change_failed', async () => {
      const keep = endOtherSessions ? await ownGrant(owner) : undefined;
      await domain(() => users.changePassword(userId, currentPassword, newPassword, { endOthers: endOtherSessions, keep }));
    });
    audit(ctx.logger, 'password.changed', { outcome: 'success', actor: userId, client: auth.clientId, endedOtherSessions: endOtherSessions, ip: ctx.ip }, 'password changed by its user');
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Asks for the caller\'s email address to change: a single-use link goes to the NEW address, and the account keeps its address until that link is confirmed (EMAIL_VERIFICATION_LIFETIME); then the address is verified and the old one is told. The same answer whether or not another account has the new address (its owner is told by mail instead; nothing changes). The current password must be right (BAD_USER_INPUT on currentPassword; throttled as changeMyPassword); the address valid and not the account\'s own (BAD_USER_INPUT on email). At most 3 requests per LOGIN_FAILURE_WINDOW (TOO_MANY_REQUESTS). Needs a user token of a first-party application with profile or profile:write.',
  })
  async changeMyEmail(
    @Arg('currentPassword', () => String, { description: 'The password now: whoever holds a session alone cannot move the account to another address.' }) currentPassword: string,
    @Arg('email', () => String, { description: 'The new address.' }) email: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    const owner = await accountOwner(ctx);
    const { auth, provider } = owner;
    if (!provider.mailer) throw new GraphQLError('changing the email address needs mail: set JWT_OIDC_SMTP_URL', { extensions: { code: 'BAD_REQUEST' } });
    const users = new UserService(ctx.em);
    // A malformed address, or the account's own, is told before anything is spent or checked.
    const wanted = await domain(async () => users.checkNewEmail(email, auth.user.email ?? null));
    await withCurrentPassword(owner, ctx, 'email.change_requested', () => domain(() => users.confirmPassword(auth.user.id, currentPassword)));
    // Each request mails an address the caller chose: bounded, as the other mailed links are.
    const mails = await provider.failures.reserveInTurn([{ key: `email-change:${throttleKeyOf(auth.user.id)}`, limit: EMAIL_CHANGES_PER_WINDOW }]);
    if (!mails.ok) throw tooManyRequests(`too many email changes asked: try again in ${mails.retryAfter} s`, mails.retryAfter);
    await provider.failures.failed(mails);
    startEmailChange({ users, settings: provider.settings, issuer: provider.issuer, clock: provider.clock, mailer: provider.mailer, logger: ctx.logger }, auth.user, wanted, ctx.ip);
    return true;
  }
}
