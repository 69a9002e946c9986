/**
 * Resource indicators (RFC 8707): which access token a request gets. An access token is for one
 * audience (docs/ARCHITECTURE.md "Resource indicators"):
 *
 * - a registered resource: `aud` is exactly its identifier, `scope` only the granted scopes it
 *   lists, its lifetime and algorithm;
 * - the provider itself (`aud` the issuer, plus the client's `--audience`s): today's token, for
 *   /userinfo and GraphQL. A grant that named resources keeps their scopes out of it, so a
 *   resource's scope never reaches an audience the resource did not choose (docs/SECURITY.md RI-03).
 *
 * Every `resource` value must be registered, and at the token endpoint one of the grant's
 * (§2.2), else `invalid_target` (§2; docs/SECURITY.md RI-01, RI-02). Without any `resource`
 * nothing changes.
 */
import type { SignatureAlg } from '../config/definitions.js';
import { invalidRequest, invalidTarget } from './errors.js';
import type { Params } from './params.js';
import { MAX_URI_LENGTH } from '../clients/redirect-uri.js';
import type { RegisteredResource, ResourceStore } from './stores/resource-store.js';

/** At most this many `resource` values in one request. */
export const MAX_RESOURCES = 10;

/** What an access token is minted for; without `audience` it is the provider's own. */
export interface TokenTarget {
  audience?: string;
  scope: string;
  ttl?: number;
  alg?: SignatureAlg;
}

/** The `resource` values of a request, each once; malformed spellings are invalid_request. */
export function resourceParam(params: Params): string[] {
  if (params.malformed.includes('resource')) throw invalidRequest('resource must be sent as plain values');
  const values = params.all('resource');
  if (values.length > MAX_RESOURCES) throw invalidTarget(`at most ${MAX_RESOURCES} resources in one request`);
  if (values.some((v) => v.length > MAX_URI_LENGTH)) throw invalidTarget('resource is not a registered resource');
  return [...new Set(values)];
}

/** The registered resources of `ids`, all of them, or invalid_target naming the first that is not (RFC 8707 §2). */
export async function registeredResources(store: Pick<ResourceStore, 'findMany'>, ids: readonly string[]): Promise<RegisteredResource[]> {
  if (ids.length === 0) return [];
  const found = await store.findMany(ids);
  const missing = ids.find((id) => !found.some((r) => r.id === id));
  if (missing !== undefined) throw invalidTarget(`"${missing.slice(0, 200)}" is not a registered resource`);
  return found;
}

/** A resource's token: its id as the only audience, the scopes it lists among `scopes`. */
export function resourceTarget(resource: RegisteredResource, scopes: readonly string[], available: readonly SignatureAlg[]): TokenTarget {
  return {
    audience: resource.id,
    scope: scopes.filter((s) => resource.scopes.includes(s)).join(' '),
    ...(resource.accessTokenLifetime !== null ? { ttl: resource.accessTokenLifetime } : {}),
    // A resource's alg the provider no longer has keys for (SIGNATURE_ALG changed since): the default one.
    ...(resource.alg !== null && available.includes(resource.alg) ? { alg: resource.alg } : {}),
  };
}

export interface TargetContext {
  issuer: string;
  resources: Pick<ResourceStore, 'findMany'>;
  keys: { signingAlgorithms(): SignatureAlg[] };
}

/**
 * The target of a token request on a grant (authorization_code, refresh_token): `requested` are
 * the request's `resource` values, `granted` the grant's. One resource per access token: several
 * values are invalid_target. Without a value, a grant with one resource gets that one's token, a
 * grant with several must name one, a grant with none gets the provider's token as ever. The
 * issuer names the provider's own token, which every grant may have.
 */
export async function grantTarget(ctx: TargetContext, granted: readonly string[] | null, requested: readonly string[], scope: string): Promise<TokenTarget> {
  const scopes = scope.split(' ').filter(Boolean);
  const authorized = granted ?? [];
  if (requested.length > 1) throw invalidTarget('one resource per access token: send one resource value');
  if (requested.length === 0 && authorized.length === 0) return { scope };
  const wanted = requested[0] ?? (authorized.length === 1 ? authorized[0]! : undefined);
  if (wanted === undefined) throw invalidTarget('the authorization named several resources: name one with the resource parameter');
  if (wanted === ctx.issuer) {
    // The provider's token: without the scopes of the grant's resources (RI-03).
    const theirs = new Set((await ctx.resources.findMany(authorized)).flatMap((r) => r.scopes));
    return { scope: scopes.filter((s) => !theirs.has(s)).join(' ') };
  }
  // Another resource than the authorization named: never (RFC 8707 §2.2; RI-02).
  if (!authorized.includes(wanted)) throw invalidTarget('the resource was not part of this authorization');
  const [resource] = await registeredResources(ctx.resources, [wanted]);
  return resourceTarget(resource!, scopes, ctx.keys.signingAlgorithms());
}
