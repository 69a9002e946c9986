/**
 * Token exchange (RFC 8693): an authenticated client trades a subject token — and, for a
 * delegation, an actor token — for a new token for one audience its policy names (README "Token
 * exchange"; docs/SECURITY.md section AB).
 *
 * - The audience (`audience` or `resource`, §2.1) must be one of the client's
 *   `tokenExchange.audiences` and a registered resource: its scopes, lifetime and algorithm, as
 *   for any resource's token (RFC 8707; src/provider/resource-indicators.ts). Else invalid_target.
 * - The scope is never wider than the subject token's unless the policy says `widen`, and never
 *   outside the policy's `scopes` (invalid_scope).
 * - With an actor token the new token is a delegation: `act` names the actor, the subject token's
 *   own `act` nested inside (§4.1). Without one it is an impersonation: the subject's `sub`, no
 *   new `act` (§1.1). A `may_act` in the subject token must name the actor (§4.4).
 * - The new token never outlives its subject token, and a user's token keeps its grant: revoking
 *   the grant ends the exchanged token too. A DPoP-bound subject or actor token needs a proof of
 *   its key, to which the new token is bound as well.
 */
import { audit } from '../../../audit.js';
import { isRestricted } from '../../authorization/client-extras.js';
import { invalidGrant, invalidRequest, invalidScope, invalidTarget } from '../../errors.js';
import { SCOPE_TOKEN, spaceList } from '../../params.js';
import { registeredResources, resourceParam, resourceTarget } from '../../resource-indicators.js';
import { MAX_URI_LENGTH } from '../../../clients/redirect-uri.js';
import { TOKEN_TYPES, verifyExchangeToken, type ExchangeParty } from '../exchange-tokens.js';
import type { GrantType } from '../grant-type.js';

/** The deepest chain of actors kept: a longer one is refused rather than cut (§4.1). */
const MAX_ACT_DEPTH = 5;

export const tokenExchange: GrantType = {
  parameters: ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope'],

  async handler(ctx, client, params, req, dpop) {
    const subjectToken = params.get('subject_token');
    const subjectType = params.get('subject_token_type');
    if (!subjectToken || !subjectType) throw invalidRequest('subject_token and subject_token_type are required');
    const actorToken = params.get('actor_token');
    const actorType = params.get('actor_token_type');
    // §2.1: actor_token_type is required with an actor_token and must not come without one.
    if ((actorToken === undefined) !== (actorType === undefined) || actorToken === '') throw invalidRequest('actor_token and actor_token_type come together');
    const requestedType = params.get('requested_token_type') ?? TOKEN_TYPES.accessToken;
    if (requestedType !== TOKEN_TYPES.accessToken && requestedType !== TOKEN_TYPES.idToken) throw invalidRequest('requested_token_type must be an access token or an ID token');
    const requested = params.get('scope');
    const wanted = requested === undefined ? undefined : spaceList(requested);
    if (wanted && (wanted.length === 0 || wanted.some((s) => !SCOPE_TOKEN.test(s)))) throw invalidScope('scope is malformed');

    // The target first: a request for an audience the client may not have costs no token check.
    const targets = targetParams(params);
    const policy = client.tokenExchange;
    let resourceId: string | undefined;
    if (requestedType === TOKEN_TYPES.accessToken) {
      if (targets.length > 1) throw invalidTarget('one audience per token: send one audience or resource value');
      resourceId = targets[0] ?? (policy?.audiences.length === 1 ? policy.audiences[0] : undefined);
      if (resourceId === undefined) throw invalidTarget('name the audience of the new token (audience or resource)');
      if (!policy?.audiences.includes(resourceId)) throw invalidTarget('this client may not exchange tokens for this audience');
    } else if (targets.some((t) => t !== client.id)) {
      throw invalidTarget('an ID token is for the client itself');
    }
    const [resource] = resourceId === undefined ? [] : await registeredResources(ctx.resources, [resourceId]);

    const subject = await verifyExchangeToken(ctx, client, subjectToken, subjectType, 'subject');
    const actor = actorToken !== undefined ? await verifyExchangeToken(ctx, client, actorToken, actorType!, 'actor') : undefined;
    // A key-bound token is exchanged only with a proof of its key (RFC 9449 §6.1): a stolen bound
    // token must not become an unbound one here (docs/SECURITY.md TE-11).
    for (const party of [subject, actor]) {
      if (party?.jkt !== undefined && party.jkt !== dpop?.jkt) throw invalidGrant('a DPoP-bound token is exchanged only with a DPoP proof of its key');
    }
    // The client's own deny-list holds for the users it acts for, as at sign-in and refresh.
    if (subject.user && isRestricted(client, subject.user)) throw invalidGrant('this account may not use this application');
    checkMayAct(subject, actor);
    const act = actor ? actClaim(ctx.issuer, actor, subject.act) : subject.act;
    if (act && depth(act) > MAX_ACT_DEPTH) throw invalidGrant(`a delegation chain of more than ${MAX_ACT_DEPTH} actors`);

    const nowSec = Math.floor(ctx.clock.now() / 1000);
    // Never beyond the subject token's own life (at least a second: it was accepted within the skew).
    const remaining = Math.max(1, subject.exp - nowSec);

    if (requestedType === TOKEN_TYPES.idToken) {
      if (!subject.user) throw invalidRequest('an ID token is issued for a user\'s subject token only');
      const idToken = await ctx.minter.idToken({ sub: subject.sub, clientId: client.id, authTime: (subject.authTime ?? nowSec) * 1000, acr: subject.acr, amr: subject.amr, alg: client.idTokenSignedResponseAlg });
      done(ctx, client.id, req.ip, subject, actor, client.id, requestedType);
      return { access_token: idToken, issued_token_type: TOKEN_TYPES.idToken, token_type: 'N_A', expires_in: ctx.settings.jwtIdTokenExpirationTime, scope: '' };
    }

    const scope = exchangeScope(subject.scopes, resource!.scopes, policy!, wanted);
    const target = resourceTarget(resource!, scope, ctx.keys.signingAlgorithms());
    const ttl = Math.min(target.ttl ?? ctx.settings.jwtAccessTokenExpirationTime, remaining);
    const at = await ctx.minter.accessToken({
      sub: subject.sub,
      clientId: client.id,
      scope: target.scope,
      audience: target.audience,
      ttl,
      alg: target.alg,
      grantId: subject.grantId,
      authTime: subject.authTime !== undefined ? subject.authTime * 1000 : undefined,
      acr: subject.acr,
      amr: subject.amr,
      jkt: dpop?.jkt,
      act,
    });
    done(ctx, client.id, req.ip, subject, actor, resource!.id, requestedType);
    return { access_token: at.token, issued_token_type: TOKEN_TYPES.accessToken, token_type: dpop ? 'DPoP' : 'Bearer', expires_in: at.expiresIn, scope: target.scope };
  },
};

/** `audience` (§2.1, any logical name: here a resource's id) and `resource` (RFC 8707) values together, each once. */
function targetParams(params: Parameters<GrantType['handler']>[2]): string[] {
  if (params.malformed.includes('audience')) throw invalidRequest('audience must be sent as plain values');
  const audiences = params.all('audience');
  if (audiences.some((a) => a.length > MAX_URI_LENGTH)) throw invalidTarget('audience is not a registered resource');
  return [...new Set([...audiences, ...resourceParam(params)])];
}

/**
 * The scope of the new token: the requested scopes, or else the subject's, among the audience's
 * and the policy's; wider than the subject's only with `widen`.
 */
function exchangeScope(subjectScopes: readonly string[], resourceScopes: readonly string[], policy: { scopes?: readonly string[]; widen?: boolean }, wanted: readonly string[] | undefined): string[] {
  const available = resourceScopes.filter((s) => policy.scopes === undefined || policy.scopes.includes(s));
  if (wanted === undefined) return subjectScopes.filter((s) => available.includes(s));
  const unavailable = wanted.filter((s) => !available.includes(s));
  if (unavailable.length) throw invalidScope(`not available for this audience: ${unavailable.join(' ')}`);
  if (!policy.widen && wanted.some((s) => !subjectScopes.includes(s))) throw invalidScope('an exchange cannot widen the scope of the subject token');
  return [...new Set(wanted)];
}

/** §4.4: a subject token with `may_act` may be acted on only by the party it names. */
function checkMayAct(subject: ExchangeParty, actor: ExchangeParty | undefined): void {
  if (subject.mayAct === undefined) return;
  const may = subject.mayAct as { sub?: unknown; iss?: unknown } | null;
  if (!actor) throw invalidGrant('the subject token names who may act for it (may_act): send that actor\'s token');
  if (may === null || typeof may !== 'object' || typeof may.sub !== 'string') throw invalidGrant('the subject token\'s may_act claim is malformed');
  if (may.sub !== actor.sub || (may.iss !== undefined && may.iss !== actor.iss)) throw invalidGrant('the actor is not the one the subject token\'s may_act names');
}

/** §4.1: the actor, its issuer when it is not us, and the subject token's own actors nested. */
function actClaim(issuer: string, actor: ExchangeParty, prior: Record<string, unknown> | undefined): Record<string, unknown> {
  return { sub: actor.sub, ...(actor.iss !== issuer ? { iss: actor.iss } : {}), ...(prior ? { act: prior } : {}) };
}

function depth(act: Record<string, unknown>): number {
  let n = 0;
  for (let a: unknown = act; a !== null && typeof a === 'object'; a = (a as { act?: unknown }).act) if (++n > MAX_ACT_DEPTH) break;
  return n;
}

function done(ctx: Parameters<GrantType['handler']>[0], clientId: string, ip: string, subject: ExchangeParty, actor: ExchangeParty | undefined, audience: string, issuedType: string): void {
  audit(
    ctx.logger,
    'token.exchanged',
    { outcome: 'success', actor: clientId, client: clientId, user: subject.user?.id, subjectIssuer: subject.iss, ...(actor ? { actorSub: actor.sub } : {}), audience, issuedTokenType: issuedType, delegation: actor !== undefined, ip },
    'token exchanged',
  );
}
