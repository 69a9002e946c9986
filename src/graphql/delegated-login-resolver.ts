/**
 * Delegated login (LOGIN_URL, README "The provider"): the provider sends the browser to the
 * login app with a `login_challenge`; the app reads the request with `loginRequest`, authenticates
 * the user its own way, and answers with `acceptLoginRequest` or `rejectLoginRequest`, each
 * returning where to send the browser next. Challenges live 10 minutes and are answered once.
 * Admin scope required (the login app is a trusted client with the admin flag).
 */
import { authorizationRequestOf } from '../provider/stores/interaction-request.js';
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { User } from '../db/entities/user.js';
import type { AuthorizationRequest } from '../provider/authorization/request.js';
import { INTERACTION_PATH } from '../provider/authorization/authorize.js';
import { providerUrl } from '../provider/context.js';
import { provider } from './admin-resolver.js';
import { ADMIN, requireAdmin } from './auth.js';
import type { GraphQLContext } from './context.js';
import { notFound } from './domain-errors.js';
import { audit } from '../audit.js';

const REJECTIONS = ['access_denied', 'login_required', 'interaction_required', 'account_selection_required', 'temporarily_unavailable'];

@Authorized(ADMIN)
@ObjectType({ description: 'The client a login request comes from.' })
export class LoginRequestClient {
  @Field(() => ID, { description: 'The client_id.' })
  id!: string;

  @Field(() => String, { description: 'Display name.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'https URL of its logo.' })
  logoUri!: string | null;
}

@Authorized(ADMIN)
@ObjectType({ description: 'A pending login, for a delegated login app.' })
export class LoginRequest {
  @Field(() => String, { description: 'The login_challenge.' })
  challenge!: string;

  @Field(() => LoginRequestClient, { description: 'The client the user is logging in to.' })
  client!: LoginRequestClient;

  @Field(() => [String], { description: 'Scopes the client asked for.' })
  requestedScopes!: string[];

  @Field(() => String, { nullable: true, description: 'The client\'s login_hint.' })
  loginHint!: string | null;

  @Field(() => [String], { description: 'prompt values of the request.' })
  prompt!: string[];

  @Field(() => [String], { description: 'ui_locales of the request.' })
  uiLocales!: string[];

  @Field(() => [String], { description: 'acr_values of the request.' })
  acrValues!: string[];

  @Field(() => Date, { description: 'When the challenge expires.' })
  expiresAt!: Date;
}

@Resolver()
export class DelegatedLoginResolver {
  @Query(() => LoginRequest, { nullable: true, description: 'A pending login by its challenge; null when unknown, expired or answered. Admin.' })
  async loginRequest(@Arg('challenge', () => String, { description: 'The login_challenge the browser brought.' }) challenge: string, @Ctx() ctx: GraphQLContext): Promise<LoginRequest | null> {
    requireAdmin(ctx);
    const interaction = await provider(ctx).interactions.byChallenge(challenge);
    if (!interaction || interaction.userId || interaction.login) return null;
    const request = authorizationRequestOf(interaction.request);
    const client = request && (await provider(ctx).clients.get(request.clientId));
    if (!client) return null;
    return {
      challenge,
      client: { id: client.id, name: client.name, logoUri: client.logoUri },
      requestedScopes: request.scopes,
      loginHint: request.loginHint ?? null,
      prompt: request.prompt,
      uiLocales: request.uiLocales ?? [],
      acrValues: request.acrValues ?? [],
      expiresAt: new Date(interaction.expiresAt),
    };
  }

  @Mutation(() => String, { description: 'The login app authenticated the user: returns the URL to send the browser to. Admin.' })
  async acceptLoginRequest(
    @Arg('challenge', () => String, { description: 'The login_challenge.' }) challenge: string,
    @Arg('subject', () => ID, { description: 'The id of the user who logged in (a user of this provider).' }) subject: string,
    @Arg('remember', () => Boolean, { defaultValue: true, description: 'Keep the provider session across browser restarts.' }) remember: boolean,
    @Arg('acr', () => String, { nullable: true, description: 'Authentication context class reference, for the ID token\'s acr.' }) acr: string | null | undefined,
    @Arg('amr', () => [String], { nullable: true, description: 'Authentication methods, for the ID token\'s amr (default ["pwd"]).' }) amr: string[] | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<string> {
    const admin = requireAdmin(ctx);
    const p = provider(ctx);
    // An omitted argument is undefined, an explicit null is null: both mean none.
    if (acr != null && !/^[\x21-\x7e]{1,255}$/.test(acr)) throw badInput('acr', 'must be a printable string of at most 255 characters');
    if (amr != null && (amr.length > 10 || amr.some((m) => !/^[\x21-\x7e]{1,32}$/.test(m)))) throw badInput('amr', 'must be up to 10 short method names');
    const user = /^[0-9a-f-]{36}$/.test(subject) ? await ctx.em.fork().findOne(User, { id: subject, active: true }) : null;
    if (!user) throw badInput('subject', 'no active user with this id');
    // A self-registered account signs in nowhere before its address is confirmed (docs/ACCOUNTS.md "Registration").
    if (user.pendingVerification) throw badInput('subject', 'this user has not confirmed their email address yet');
    const ok = await p.interactions.answer(challenge, { userId: user.id, authTime: p.clock.now(), login: { acr: acr ?? null, amr: amr ?? ['pwd'], remember } });
    if (!ok) throw notFound('login request');
    audit(ctx.logger, 'login.delegated', { outcome: 'success', actor: admin.clientId, client: admin.clientId, user: user.id, ip: ctx.ip }, 'delegated login accepted');
    return providerUrl(p, `${INTERACTION_PATH}/${challenge}`);
  }

  @Mutation(() => String, { description: 'The login app refused the login: returns the URL to send the browser to (the client gets the error). Admin.' })
  async rejectLoginRequest(
    @Arg('challenge', () => String, { description: 'The login_challenge.' }) challenge: string,
    @Arg('error', () => String, { defaultValue: 'access_denied', description: `The OAuth error: ${REJECTIONS.join(', ')}.` }) error: string,
    @Arg('errorDescription', () => String, { nullable: true, description: 'A human-readable reason for the client.' }) errorDescription: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<string> {
    requireAdmin(ctx);
    const p = provider(ctx);
    if (!REJECTIONS.includes(error)) throw badInput('error', `must be one of ${REJECTIONS.join(', ')}`);
    const description = (errorDescription ?? 'the login was refused').replace(/[^\x20-\x7e]/g, '').slice(0, 200);
    if (!(await p.interactions.answer(challenge, { login: { rejected: { error, description } } }))) throw notFound('login request');
    return providerUrl(p, `${INTERACTION_PATH}/${challenge}`);
  }
}

function badInput(field: string, message: string): GraphQLError {
  return new GraphQLError(`${field}: ${message}`, { extensions: { code: 'BAD_USER_INPUT', field } });
}
