/**
 * RFC 7591 §2 client metadata, as JSON members, to and from the client service's own fields
 * (src/clients/client-service.ts), which validates them exactly as for `jwt-oidc clients create`:
 * there is no second validator here. Only the members below are read; everything else — `scope`,
 * `client_id`, `admin`, `first_party` and any provider-internal flag — is ignored, as §2 lets a
 * server ignore what it does not support, so a registration can never make a client first-party,
 * admin, or change what it must do at sign-in. `dpop_bound_access_tokens` (RFC 9449 §5.2) is
 * read: it only ever adds a requirement, a DPoP proof with each token request.
 */
import type { Client } from '../../db/entities/client.js';
import { authMethodOf, type CreateClientInput } from '../../clients/client-service.js';

/** Each RFC 7591 member read, with the service's name for it. */
const MEMBERS = {
  redirect_uris: 'redirectUris',
  client_name: 'name',
  grant_types: 'grantTypes',
  response_types: 'responseTypes',
  token_endpoint_auth_method: 'tokenEndpointAuthMethod',
  post_logout_redirect_uris: 'postLogoutRedirectUris',
  client_uri: 'clientUri',
  logo_uri: 'logoUri',
  application_type: 'applicationType',
  jwks: 'jwks',
  jwks_uri: 'jwksUri',
  dpop_bound_access_tokens: 'requireDpop',
} as const;
type Member = keyof typeof MEMBERS;

/** The name shown when a client gives none (`client_name` is optional, §2). */
const UNNAMED = 'Unnamed client';

/**
 * The service's input for a registration (POST) or a replacement (PUT, RFC 7592 §2.2: omitted
 * members are absent afterwards, so each gets its default). `application_type` defaults to
 * `web` (OIDC Registration §2); `token_endpoint_auth_method` to `client_secret_basic` (§2), or
 * to `fallbackMethod`.
 */
export function serviceInput(body: Record<string, unknown>, fallbackMethod: string | undefined): CreateClientInput {
  const given = (m: Member) => (body[m] === null ? undefined : body[m]);
  const grantTypes = (given('grant_types') ?? ['authorization_code', 'refresh_token']) as string[];
  const input: Record<string, unknown> = {
    name: given('client_name') ?? UNNAMED,
    redirectUris: given('redirect_uris') ?? [],
    grantTypes,
    responseTypes: given('response_types') ?? (Array.isArray(grantTypes) && grantTypes.includes('authorization_code') ? ['code'] : []),
    postLogoutRedirectUris: given('post_logout_redirect_uris') ?? [],
    clientUri: given('client_uri') ?? null,
    logoUri: given('logo_uri') ?? null,
    applicationType: given('application_type') ?? 'web',
    jwks: given('jwks') ?? null,
    jwksUri: given('jwks_uri') ?? null,
    requireDpop: given('dpop_bound_access_tokens') ?? false,
  };
  const method = given('token_endpoint_auth_method') ?? fallbackMethod;
  if (method !== undefined) input.tokenEndpointAuthMethod = method;
  return input as CreateClientInput;
}

/** A service message about `redirectUris` speaks of `redirect_uris`, as the client wrote it. */
export function describeProblem(message: string): string {
  const field = /^([A-Za-z]+):/.exec(message)?.[1];
  const member = (Object.keys(MEMBERS) as Member[]).find((m) => MEMBERS[m] === field);
  return member ? `${member}:${message.slice(field!.length + 1)}` : message;
}

/** The client's registered metadata, as RFC 7591 §3.2.1 returns them. */
export function registeredMetadata(c: Client): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_id: c.id,
    client_id_issued_at: Math.floor(c.createdAt.getTime() / 1000),
    client_name: c.name,
    redirect_uris: c.redirectUris,
    grant_types: c.grantTypes,
    response_types: c.responseTypes,
    token_endpoint_auth_method: authMethodOf(c),
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    application_type: c.applicationType ?? 'web',
  };
  if (c.clientUri) out.client_uri = c.clientUri;
  if (c.logoUri) out.logo_uri = c.logoUri;
  if (c.jwks) out.jwks = c.jwks;
  if (c.jwksUri) out.jwks_uri = c.jwksUri;
  if (c.requireDpop) out.dpop_bound_access_tokens = true;
  return out;
}
