/**
 * `id_token_hint` (OIDC Core §3.1.2.1): an ID token this provider issued, possibly expired. Its
 * signature must be ours (any published key, its own algorithm), its issuer ours; an audience,
 * when one is expected, must match. A hint that fails is no hint at all: the caller decides
 * whether that is an error (authorization) or a reason to ask the user (logout).
 */
import { compactVerify } from 'jose';
import type { ProviderContext } from '../context.js';

export interface IdTokenHint {
  sub: string;
  aud: string[];
  sid?: string;
}

export async function verifyIdTokenHint(ctx: Pick<ProviderContext, 'keys' | 'issuer'>, hint: string, expectedAudience?: string): Promise<IdTokenHint | undefined> {
  if (hint.length > 8192) return undefined;
  try {
    const { payload, protectedHeader } = await compactVerify(hint, ctx.keys.getKey);
    if (protectedHeader.crit !== undefined || (protectedHeader.typ !== undefined && !/^(jwt|application\/jwt)$/i.test(protectedHeader.typ))) return undefined;
    const claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)) as Record<string, unknown>;
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
    if (claims.iss !== ctx.issuer || typeof claims.sub !== 'string' || aud.length === 0) return undefined;
    if (expectedAudience !== undefined && !aud.includes(expectedAudience)) return undefined;
    // An access token (typ at+jwt, client_id) is not an ID token.
    if (claims.client_id !== undefined || claims.scope !== undefined) return undefined;
    return { sub: claims.sub, aud, sid: typeof claims.sid === 'string' ? claims.sid : undefined };
  } catch {
    return undefined;
  }
}
