/**
 * Minting the provider's JWTs. Access tokens follow RFC 9068 (`typ: at+jwt`, `iss`, `sub`,
 * `aud`, `client_id`, `scope`, `jti`, `iat`, `exp`); ID tokens OIDC Core §2 (`iss`, `sub`, `aud`,
 * `exp`, `iat`, `auth_time`, `nonce`, `azp`, `at_hash`/`c_hash` with the hash of the signing alg,
 * `sid`). Refresh tokens and codes are opaque (stores/secrets.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SignatureAlg } from '../config/definitions.js';
import type { Clock } from '../clock.js';
import { halfHashAlgorithm } from '../keys/algorithms.js';
import type { KeyManager } from '../keys/key-manager.js';

export interface TokenSettings {
  issuer: string;
  accessTokenTtl: number;
  idTokenTtl: number;
  defaultAlg: SignatureAlg;
}

export interface AccessTokenInput {
  sub: string;
  clientId: string;
  scope: string;
  /** Extra audiences of the client (`--audience`, README "The provider"); the issuer (userinfo, GraphQL) is always one. */
  audiences?: readonly string[];
  /** The grant whose revocation ends this token; absent for client_credentials. */
  grantId?: string;
  authTime?: number;
  /** How the user authenticated (RFC 9068 §2.2.1; OIDC Core §2), for APIs that demand step-up authentication (RFC 9470). */
  acr?: string | null;
  amr?: string[] | null;
  /** A registered resource (RFC 8707): then the only audience, instead of the issuer and `audiences`. */
  audience?: string;
  /** Seconds to live instead of the setting (a resource's own lifetime). */
  ttl?: number;
  /** The algorithm to sign with instead of SIGNATURE_ALG (a resource's own). */
  alg?: SignatureAlg;
  /** The thumbprint of the DPoP key the token is bound to: `cnf.jkt` (RFC 9449 §6.1). */
  jkt?: string;
  /** The acting party of a delegation by token exchange, with the prior actors nested (RFC 8693 §4.1). */
  act?: Record<string, unknown>;
}

export interface IdTokenInput {
  sub: string;
  clientId: string;
  authTime: number;
  nonce?: string | null;
  sid?: string | null;
  acr?: string | null;
  amr?: string[] | null;
  /** Hashed into `at_hash` / `c_hash` (OIDC Core §3.1.3.6, §3.3.2.11). */
  accessToken?: string;
  code?: string;
  alg?: SignatureAlg | null;
  extraClaims?: Record<string, unknown>;
}

/**
 * Claims that tokens define themselves (RFC 7519 §4.1, RFC 9068 §2.2, OIDC Core §2 and §3.3.2.11,
 * RFC 7800 §3.1, RFC 8693 §4.1 and §4.4): never taken from `extraClaims`, a serializer, or the fake mode's typed claims.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'typ', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 's_hash', 'sid', 'acr', 'amr', 'client_id', 'scope', 'grant_id', 'cnf', 'act', 'may_act']);

export class TokenMinter {
  constructor(
    private readonly keys: KeyManager,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  async accessToken(input: AccessTokenInput): Promise<{ token: string; expiresIn: number; jti: string }> {
    const iat = Math.floor(this.clock.now() / 1000);
    const jti = randomUUID();
    const ttl = input.ttl ?? this.settings.accessTokenTtl;
    const aud = input.audience !== undefined ? input.audience : input.audiences?.length ? [this.settings.issuer, ...input.audiences.filter((a) => a !== this.settings.issuer)] : this.settings.issuer;
    const payload: Record<string, unknown> = {
      iss: this.settings.issuer,
      sub: input.sub,
      aud,
      client_id: input.clientId,
      scope: input.scope,
      jti,
      iat,
      exp: iat + ttl,
    };
    if (input.authTime !== undefined) payload.auth_time = Math.floor(input.authTime / 1000);
    if (input.acr) payload.acr = input.acr;
    if (input.amr?.length) payload.amr = input.amr;
    if (input.grantId) payload.grant_id = input.grantId;
    if (input.jkt) payload.cnf = { jkt: input.jkt };
    if (input.act) payload.act = input.act;
    const token = await this.keys.sign(payload, { typ: 'at+jwt', ...(input.alg ? { alg: input.alg } : {}) });
    return { token, expiresIn: ttl, jti };
  }

  async idToken(input: IdTokenInput): Promise<string> {
    const alg = input.alg ?? this.settings.defaultAlg;
    const iat = Math.floor(this.clock.now() / 1000);
    const payload: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input.extraClaims ?? {})) if (!RESERVED_CLAIMS.has(k) && v !== undefined) payload[k] = v;
    Object.assign(payload, {
      iss: this.settings.issuer,
      sub: input.sub,
      aud: input.clientId,
      azp: input.clientId,
      exp: iat + this.settings.idTokenTtl,
      iat,
      auth_time: Math.floor(input.authTime / 1000),
    });
    if (input.nonce) payload.nonce = input.nonce;
    if (input.sid) payload.sid = input.sid;
    if (input.acr) payload.acr = input.acr;
    if (input.amr?.length) payload.amr = input.amr;
    if (input.accessToken) payload.at_hash = halfHash(input.accessToken, alg);
    if (input.code) payload.c_hash = halfHash(input.code, alg);
    return this.keys.sign(payload, { typ: 'JWT', alg });
  }
}

/** Base64url of the left half of the hash of the ASCII value (OIDC Core §3.1.3.6). */
export function halfHash(value: string, alg: SignatureAlg): string {
  const hash = createHash(halfHashAlgorithm(alg)).update(value, 'ascii').digest();
  return hash.subarray(0, hash.length / 2).toString('base64url');
}
