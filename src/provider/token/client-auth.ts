/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
 * `client_secret_basic`, `client_secret_post`, `private_key_jwt` and `client_secret_jwt`
 * (RFC 7523 §2.2, OIDC Core §9: client-assertion.ts), or `none` for public clients; exactly one
 * method per request, and the client's own (RFC 7591 §2): a private_key_jwt client has no secret,
 * a client_secret_jwt one sends its secret only as the key of an assertion's HMAC (CA-13), a
 * client with a secret no keys. Secrets are
 * compared as SHA-256 digests in constant time, also for unknown clients (no timing oracle:
 * docs/SECURITY.md TK-12); failures are throttled per address, never per client (TK-13, failures.ts).
 */
import { safeEqual } from '../../util/safe-equal.js';
import { hashSecret } from '../../clients/client-service.js';
import type { RegisteredClient } from '../../clients/client-registry.js';
import type { ProviderContext } from '../context.js';
import { OAuthError, invalidClient, invalidRequest } from '../errors.js';
import type { ProviderRequest } from '../http-result.js';
import type { Params } from '../params.js';
import { JWT_BEARER_ASSERTION, type ClientAuthMethod } from './auth-methods.js';
import { assertedClientId, verifyClientAssertion, type AssertionContext } from './client-assertion.js';
import { tokenRetryAfter } from './failures.js';

export { CLIENT_AUTH_METHODS, type ClientAuthMethod } from './auth-methods.js';

/** A digest no secret hashes to, compared against when the client is unknown. */
const NO_SECRET = hashSecret('\u0000no-such-client');
const UNKNOWN_CLIENT = { isPublic: false, secretHash: NO_SECRET, secretExpiresAt: null } as RegisteredClient;

export interface AuthenticatedClient {
  client: RegisteredClient;
  method: ClientAuthMethod;
}

/** What client authentication uses: the registered clients, the time (secret expiry), the token endpoint's throttles, and for assertions the clients' keys and the used `jti`s. */
export type AuthenticationContext = Pick<ProviderContext, 'clients' | 'clock' | 'throttles'> & AssertionContext;

/** The parameters of client authentication, which each endpoint accepts once (RFC 6749 §3.2, RFC 7521 §4.2). */
export const CLIENT_AUTH_PARAMETERS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];

export async function authenticateClient(ctx: AuthenticationContext, req: ProviderRequest, params: Params): Promise<AuthenticatedClient> {
  const basic = parseBasic(req.header('authorization'));
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  const assertion = params.get('client_assertion');
  const assertionType = params.get('client_assertion_type');
  if (assertion !== undefined || assertionType !== undefined) {
    // An assertion beside a secret: not authenticated (RFC 6749 §2.3: one method per request).
    if (basic || bodySecret !== undefined) throw invalidClient('use one client authentication method, not several');
    return authenticateByAssertion(ctx, req, bodyId, assertion, assertionType);
  }
  let id: string;
  let secret: string | undefined;
  let method: ClientAuthMethod;
  if (basic) {
    if (bodySecret !== undefined) throw invalidRequest('use one client authentication method, not several');
    if (bodyId !== undefined && bodyId !== basic.id) throw invalidRequest('client_id does not match the authenticated client');
    ({ id, secret } = basic);
    method = 'client_secret_basic';
  } else if (bodyId !== undefined) {
    id = bodyId;
    secret = bodySecret;
    method = secret === undefined ? 'none' : 'client_secret_post';
  } else {
    throw invalidClient('client authentication is missing');
  }

  // Per address only: a client id is public, so failures counted per client would let anyone
  // lock the client out (the counting is the token endpoint's, see failures.ts).
  const wait = tokenRetryAfter(ctx, req.ip);
  if (wait > 0) throw new OAuthError('too_many_requests', 'too many failed attempts; try again later', { retryAfter: wait });

  // resolve: a client known by its metadata document is fetched again here when its copy is stale.
  const client = id.length <= 128 ? await ctx.clients.resolve(id, req.ip) : undefined;
  // The same digest comparison for an unknown client as for a known one — and for a client of
  // an assertion method, which a secret sent as such never authenticates.
  const assertions = client?.tokenEndpointAuthMethod ?? null;
  const ok = checkSecret(ctx, client && !assertions ? client : UNKNOWN_CLIENT, secret) && client !== undefined && !assertions;
  if (!ok || !client) throw invalidClient(assertions ? `this client authenticates with ${assertions}` : undefined);
  return { client, method };
}

/** `client_assertion` with `client_assertion_type` jwt-bearer (RFC 7521 §4.2, RFC 7523 §2.2). */
async function authenticateByAssertion(ctx: AuthenticationContext, req: ProviderRequest, bodyId: string | undefined, assertion: string | undefined, type: string | undefined): Promise<AuthenticatedClient> {
  if (assertion === undefined || type === undefined) throw invalidRequest('client_assertion and client_assertion_type go together');
  if (type !== JWT_BEARER_ASSERTION) throw invalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
  const wait = tokenRetryAfter(ctx, req.ip);
  if (wait > 0) throw new OAuthError('too_many_requests', 'too many failed attempts; try again later', { retryAfter: wait });
  const id = assertedClientId(assertion);
  if (bodyId !== undefined && bodyId !== id) throw invalidClient('client_id does not match the client assertion');
  const client = id.length <= 128 ? await ctx.clients.get(id) : undefined;
  if (!client) throw invalidClient();
  const method = client.tokenEndpointAuthMethod;
  if (method === null) {
    // An assertion from a client registered for Basic or form secrets: its secret is kept only
    // as a digest, and one method per client (RFC 7591 §2).
    throw invalidClient(client.isPublic ? 'a public client does not authenticate' : 'this client authenticates with its client_secret (client_secret_basic or client_secret_post)');
  }
  await verifyClientAssertion(ctx, client, assertion);
  return { client, method };
}

function checkSecret(ctx: AuthenticationContext, client: RegisteredClient, secret: string | undefined): boolean {
  if (client.isPublic) return secret === undefined; // a public client has no secret to send
  // Always a digest comparison of equal lengths, whatever was sent.
  const equal = safeEqual(hashSecret(secret ?? ''), client.secretHash!);
  const unexpired = client.secretExpiresAt === null || client.secretExpiresAt > ctx.clock.now();
  return secret !== undefined && equal && unexpired;
}

/**
 * `Authorization: Basic base64(urlencode(id):urlencode(secret))`: the parts are
 * form-urlencoded before base64 (RFC 6749 §2.3.1).
 */
export function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  if (!match) {
    if (/^Basic\b/i.test(header.trim())) throw invalidClient('malformed Basic credentials');
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('malformed Basic credentials');
  try {
    const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient('malformed Basic credentials');
  }
}
