/**
 * The provider's UserInfo (OIDC Core §5.3) for a token this server has verified, with one typed
 * answer for "this token names no end-user" — `null` — kept apart from real failures:
 *
 *   - `null`, without a request, when the token cannot name an end-user to the UserInfo endpoint:
 *     its `scope` claim is present and lacks `openid` (UserInfo serves the access tokens of an
 *     OpenID Connect request, OIDC Core §5.3 and §3.1.2.1: a `client_credentials` token is about
 *     a client), or it is an ID token (accepted with `acceptIdTokens`; UserInfo takes access
 *     tokens only).
 *   - `null` when the provider refuses the token as RFC 6750 §3.1 says it refuses a token that
 *     names nobody it has userinfo for: 401 `invalid_token` or 403 `insufficient_scope`.
 *   - IssuerUnavailableError (a 503 for the caller) when the provider cannot be reached: refused,
 *     reset, timed out, or a 5xx or 429 answer — nothing is known about the token then.
 *   - Error for anything else (another status, a body that is not a JSON object, claims about
 *     another subject: OIDC Core §5.3.2, docs/SECURITY.md ID-07).
 */
import { IssuerUnavailableError } from './errors.js';
import { bodyWithin } from './deadline.js';

/** The UserInfo claims of an end-user (OIDC Core §5.1); `sub` is always the token's. */
export type Userinfo = Record<string, unknown>;

export interface UserinfoToken {
  token: string;
  sub: string;
  scopes: readonly string[];
  claims: { readonly [claim: string]: unknown };
  idToken: boolean;
}

/** Whether the token can name an end-user at the UserInfo endpoint at all (see above). */
export function mayHaveUserinfo(t: UserinfoToken): boolean {
  if (t.idToken) return false;
  // A token without a `scope` claim says nothing either way: the provider decides.
  return t.claims.scope === undefined || t.scopes.includes('openid');
}

export interface UserinfoRequest {
  endpoint: string;
  fetch: typeof fetch;
  /** ms */
  timeout: number;
}

export async function fetchUserinfo(t: UserinfoToken, o: UserinfoRequest): Promise<Userinfo | null> {
  let res: Response;
  const signal = AbortSignal.timeout(o.timeout);
  try {
    // No redirects followed: the bearer token goes to the discovered endpoint and nowhere else.
    res = await o.fetch(o.endpoint, { headers: { authorization: `Bearer ${t.token}`, accept: 'application/json' }, redirect: 'manual', signal });
  } catch (e) {
    throw new IssuerUnavailableError("the provider's userinfo endpoint cannot be reached", { cause: e });
  }
  if (res.status >= 500 || res.status === 429) {
    throw new IssuerUnavailableError(`the provider's userinfo endpoint answered HTTP ${res.status}`);
  }
  if (res.status === 401 || res.status === 403) {
    const code = await errorCode(res, signal);
    if ((res.status === 401 && code === 'invalid_token') || (res.status === 403 && code === 'insufficient_scope')) return null;
  }
  if (res.status !== 200) throw new Error(`userinfo failed: HTTP ${res.status}`);
  let claims: unknown;
  try {
    claims = await bodyWithin(res.json(), signal);
  } catch (e) {
    if (signal.aborted) throw new IssuerUnavailableError("the provider's userinfo answer did not arrive in time", { cause: e });
    throw new Error('userinfo failed: the answer is not JSON', { cause: e });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('userinfo failed: the answer is not a JSON object');
  if ((claims as Userinfo).sub !== t.sub) throw new Error('userinfo is about another subject');
  return claims as Userinfo;
}

/** The RFC 6750 §3 error code of a refusal: from the challenge, else from a JSON body. */
async function errorCode(res: Response, signal: AbortSignal): Promise<string | undefined> {
  const challenge = /\berror="?([\w.-]+)"?/i.exec(res.headers.get('www-authenticate') ?? '');
  if (challenge) return challenge[1];
  try {
    const body = (await bodyWithin(res.json(), signal)) as { error?: unknown };
    return typeof body?.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}
