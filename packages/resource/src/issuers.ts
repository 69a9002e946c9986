/**
 * Several trusted issuers on one API: each with its own audience, algorithms and key set. A token
 * is routed by its `iss` (read before verification, only to choose) to that issuer's
 * configuration and verified there alone, so no key of one issuer ever verifies another's token
 * and a token claiming an issuer that is not configured is refused without a request to anyone.
 * The claim that chose the configuration is then verified byte for byte by it (RFC 9068 §4: the
 * `iss` must be the expected issuer; RFC 8414 §3.3 for the issuer's own metadata).
 */
import { decodeJwt } from 'jose';
import { BearerError } from './errors.js';
import { MAX_TOKEN_LENGTH, RemoteIssuer, type RemoteCaller, type RemoteIssuerOptions, type RemoteToken, type TokenVerifier } from './remote.js';
import { assertCompactJws } from './verifier.js';
import { isOpaque } from './introspection.js';
import { dpopSupport, verifyCredentials, type CredentialsRequest, type DpopSupport, type RequestToken } from './dpop-request.js';

/** What differs between issuers: who they are, which audience and algorithms this API accepts of them. */
export type TrustedIssuer = Pick<RemoteIssuerOptions, 'issuer' | 'audience' | 'algorithms' | 'jwksUri' | 'userinfoEndpoint' | 'acceptIdTokens' | 'maxLifetime' | 'introspection'>;

/** What all issuers of an IssuerSet share (timeouts, caches, clock…): RemoteIssuerOptions' other options. */
export type SharedIssuerOptions = Omit<RemoteIssuerOptions, keyof TrustedIssuer>;

export interface IssuerSetOptions extends SharedIssuerOptions {
  /** The issuers whose tokens this API accepts; each `issuer` once. */
  issuers: readonly TrustedIssuer[];
}

/** One issuer (`issuer`, `audience`, …) or several (`issuers: [...]`), as the middlewares take them. */
export type TrustOptions = RemoteIssuerOptions | IssuerSetOptions;

export class IssuerSet implements TokenVerifier {
  private readonly byIssuer = new Map<string, RemoteIssuer>();
  /** The one issuer whose opaque tokens are introspected: an opaque token names no issuer to route by. */
  private readonly introspecting: RemoteIssuer | undefined;
  /** DPoP as the set takes it: one replay cache and one nonce source for all its issuers. */
  readonly dpop: DpopSupport | undefined;
  private readonly now: () => number;

  constructor(options: IssuerSetOptions) {
    const { issuers, ...shared } = options;
    if (!Array.isArray(issuers) || issuers.length === 0) throw new TypeError('issuers must list at least one issuer');
    this.dpop = dpopSupport(shared.dpop);
    this.now = shared.now ?? Date.now;
    for (const trusted of issuers) {
      if (this.byIssuer.has(trusted.issuer)) throw new TypeError(`issuers lists ${trusted.issuer} twice`);
      this.byIssuer.set(trusted.issuer, new RemoteIssuer({ ...shared, ...trusted, ...(this.dpop ? { dpop: this.dpop } : {}) }));
    }
    const introspecting = issuers.filter((t) => t.introspection);
    if (introspecting.length > 1) throw new TypeError('only one issuer of a set can introspect opaque tokens: an opaque token does not say whose it is');
    this.introspecting = introspecting[0] && this.byIssuer.get(introspecting[0].issuer);
  }

  /** The configured issuers, in order. */
  get issuers(): string[] {
    return [...this.byIssuer.keys()];
  }

  /** The configuration of one issuer (for its discovery or userinfo), if configured. */
  issuer(issuer: string): RemoteIssuer | undefined {
    return this.byIssuer.get(issuer);
  }

  async verify(token: string): Promise<RemoteToken> {
    return this.route(token).verify(token);
  }

  /** The token itself, by its own issuer, whatever its binding: RemoteIssuer.verifyToken. */
  async verifyToken(token: string): Promise<RemoteToken> {
    return this.route(token).verifyToken(token);
  }

  /** A request's credentials, Bearer or DPoP, checked by the token's own issuer: RemoteIssuer.verifyRequest. */
  verifyRequest(request: CredentialsRequest): Promise<RequestToken | undefined> {
    return verifyCredentials(request, async (t) => this.route(t).verifyToken(t), this.dpop, this.now);
  }

  caller(verified: RemoteToken): RemoteCaller {
    return this.of(verified).caller(verified);
  }

  /** Whether the issuer of a verified token has introspection configured. */
  introspects(verified: RemoteToken): boolean {
    return this.of(verified).introspects();
  }

  /** Asks the token's own issuer whether it is still active: RemoteIssuer.isActive. */
  isActive(verified: RemoteToken): Promise<boolean> {
    return this.of(verified).isActive(verified);
  }

  private of(verified: RemoteToken): RemoteIssuer {
    const issuer = this.byIssuer.get(verified.issuer);
    if (!issuer) throw new TypeError(`${verified.issuer} is not an issuer of this set`);
    return issuer;
  }

  /** The configuration the token's `iss` names; the same cheap checks first as every issuer makes. */
  private route(token: string): RemoteIssuer {
    if (typeof token !== 'string' || token.length === 0) throw new BearerError('invalid_token', 'the access token is missing');
    if (token.length > MAX_TOKEN_LENGTH) throw new BearerError('invalid_token', 'the access token is too long');
    if (this.introspecting && isOpaque(token)) return this.introspecting;
    assertCompactJws(token);
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new BearerError('invalid_token', 'the token is invalid');
    }
    const issuer = typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
    if (!issuer) throw new BearerError('invalid_token', 'the token is not from a trusted issuer');
    return issuer;
  }
}

/** A RemoteIssuer for `issuer`/`audience`, an IssuerSet for `issuers`; both at once are refused. */
export function trustedIssuers(options: TrustOptions): RemoteIssuer | IssuerSet {
  const several = 'issuers' in options && options.issuers !== undefined;
  const one = 'issuer' in options && options.issuer !== undefined;
  if (several && one) throw new TypeError('give either issuer (with audience) or issuers, not both');
  if (several) return new IssuerSet(options as IssuerSetOptions);
  return new RemoteIssuer(options as RemoteIssuerOptions);
}
