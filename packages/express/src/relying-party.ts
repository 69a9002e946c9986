/**
 * A relying party on openid-client (a certified RP), framework-free, with the code flow: a login transaction
 * (state, nonce and PKCE from a CSPRNG, kept server-side, single use, ten minutes), the callback
 * with openid-client's checks (state, `iss` per RFC 9207, the ID token: signature, `aud`, `azp`,
 * `nonce`, `max_age`, `c_hash`) plus those it leaves to us, userinfo whose `sub` must match, a
 * refresh whose new ID token must keep `iss` and `sub`, and the provider's end-session URL.
 */
import { ASYMMETRIC_ALGORITHMS, createRemoteKeySet, issuerFromDiscovery, WELL_KNOWN } from '@jwt-oidc/resource';
import * as oc from 'openid-client';
import { LogoutTokenError, logoutTokenValidator, type LogoutRequest } from './logout-token.js';

export interface RelyingPartyOptions {
  /**
   * The provider, in either form: its issuer (`https://id.example.com`) or its discovery URL
   * (`https://id.example.com/.well-known/openid-configuration`). The metadata must name that
   * issuer exactly (OIDC Discovery §4.3).
   */
  discoveryEndpoint: string;
  clientId: string;
  /** Absent for a public client (then PKCE is required). */
  clientSecret?: string;
  /** This app's callback, absolute. */
  redirectUri: string;
  /** Where the provider sends the browser after logout (absolute; registered at the provider). */
  postLogoutRedirectUri?: string;
  /** Default `openid`. */
  scope?: string;
  /** Send PKCE (default true). */
  pkce?: boolean;
  /** Extra authorization request parameters: display, prompt, max_age, ui_locales, claims_locales, id_token_hint, login_hint, acr_values. */
  authorizationParams?: Record<string, string | undefined>;
  /** Also allow http (a provider on this machine). */
  allowInsecureRequests?: boolean;
  /** Seconds any request to the provider may take (default 10): a slow provider fails the login, it does not hang it. */
  timeout?: number;
}

/** What the callback needs from the login request, kept server-side until then. */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier?: string;
  maxAge?: number;
  returnTo: string;
  createdAt: number;
}

export interface LoginResult {
  sub: string;
  issuer: string;
  claims: Record<string, unknown>;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires, ms since the epoch. */
  expiresAt: number;
  /** When to refresh it: a little before `expiresAt` (a tenth of its life, at most 30 s). */
  refreshAt: number;
  scope?: string;
  userinfo?: Record<string, unknown>;
}

/** A callback that cannot be accepted (the user sees a generic page; details go to the log). */
export class LoginError extends Error {
  constructor(
    message: string,
    /** An error the provider reported (`access_denied`…), when it did. */
    readonly providerError?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LoginError';
  }
}

/**
 * The provider cannot be reached right now (connection refused or closed, no answer within the
 * timeout, a 5xx or 429): nothing is wrong with the request, it is worth retrying shortly.
 */
export class ProviderUnavailableError extends Error {
  readonly code = 'ERR_PROVIDER_UNAVAILABLE';
  /** Seconds a client should wait before retrying. */
  readonly retryAfter = 5;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** openid-client's failures that mean "unreachable" rather than "misconfigured". */
function unreachable(e: unknown): boolean {
  if (e instanceof TypeError) return true; // fetch failed: refused, reset, closed, DNS
  const { code, cause } = e as { code?: unknown; cause?: unknown };
  if (code === 'OAUTH_TIMEOUT') return true;
  return code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response && (cause.status >= 500 || cause.status === 429);
}

export const TRANSACTION_TTL_MS = 10 * 60 * 1000;

export class RelyingParty {
  private configuration: Promise<oc.Configuration> | undefined;
  private logoutTokens: Promise<(token: unknown) => Promise<LogoutRequest>> | undefined;
  /** The issuer the discovery endpoint names, which the metadata must repeat byte for byte. */
  private readonly issuer: string;

  /**
   * The code flow only: a server-side relying party must bind the response to the browser's
   * session, and implicit or hybrid responses (a fragment, or a cross-site form_post without the
   * session cookie) cannot be bound.
   */
  constructor(private readonly options: RelyingPartyOptions) {
    if (!options.clientSecret && options.pkce === false) throw new TypeError('a public client (no client secret) needs PKCE');
    const issuer = issuerFromDiscovery(options.discoveryEndpoint);
    if (issuer === undefined) throw new TypeError(`discoveryEndpoint must be an issuer URL or <issuer>${WELL_KNOWN}, without query, fragment or credentials; got "${options.discoveryEndpoint}"`);
    this.issuer = issuer;
  }

  /** The provider's configuration, discovered once (again after a failure). */
  config(): Promise<oc.Configuration> {
    this.configuration ??= this.discover().catch((e) => {
      this.configuration = undefined;
      throw e;
    });
    return this.configuration;
  }

  private async discover(): Promise<oc.Configuration> {
    const { clientId, clientSecret } = this.options;
    const auth = clientSecret ? oc.ClientSecretBasic(clientSecret) : oc.None();
    const execute = this.options.allowInsecureRequests ? [oc.allowInsecureRequests] : [];
    // openid-client checks that the metadata names the issuer it was discovered from (docs/SECURITY.md CB-13).
    const config = await oc.discovery(new URL(this.options.discoveryEndpoint), clientId, {}, auth, { execute, timeout: this.options.timeout ?? 10 }).catch((e: unknown) => {
      throw unreachable(e) ? new ProviderUnavailableError(`the provider's metadata cannot be fetched: ${(e as Error).message}`, { cause: e }) : e;
    });
    // The metadata must name the configured issuer byte for byte (OIDC Discovery §4.3; CB-13):
    // openid-client skips this for a .well-known URL and compares normalised URLs otherwise.
    if (config.serverMetadata().issuer !== this.issuer) throw new LoginError(`the provider's metadata names the issuer "${config.serverMetadata().issuer}", not "${this.issuer}"`);
    // openid-client does not check the signature of an ID token from the token endpoint unless
    // asked (OIDC Core §3.1.3.7 step 6 lets TLS stand in for it): we ask.
    oc.enableNonRepudiationChecks(config);
    return config;
  }

  /** The authorization URL and the transaction to keep until the callback. */
  async startLogin(returnTo: string, now = Date.now()): Promise<{ url: string; transaction: LoginTransaction }> {
    const config = await this.config();
    const transaction: LoginTransaction = { state: oc.randomState(), nonce: oc.randomNonce(), returnTo, createdAt: now };
    const params: Record<string, string> = { redirect_uri: this.options.redirectUri, scope: this.options.scope ?? 'openid', state: transaction.state, nonce: transaction.nonce };
    if (this.options.pkce !== false) {
      transaction.codeVerifier = oc.randomPKCECodeVerifier();
      params.code_challenge = await oc.calculatePKCECodeChallenge(transaction.codeVerifier);
      params.code_challenge_method = 'S256';
    }
    // Configuration adds parameters; it never replaces the ones that protect the flow.
    for (const [k, v] of Object.entries(this.options.authorizationParams ?? {})) if (v !== undefined && v !== '' && !(k in params) && k !== 'response_type') params[k] = v;
    if (params.max_age !== undefined) transaction.maxAge = Number(params.max_age);
    return { url: oc.buildAuthorizationUrl(config, params).toString(), transaction };
  }

  /** Completes a login from the callback URL. */
  async finishLogin(callback: URL, transaction: LoginTransaction, now = Date.now()): Promise<LoginResult> {
    if (now - transaction.createdAt > TRANSACTION_TTL_MS) throw new LoginError('the login took too long');
    const params = callback.searchParams;
    const providerError = params.get('error');
    if (providerError) throw new LoginError(`the provider answered ${providerError}`, providerError);
    // Tokens in the front channel of a code flow are never used (RFC 9700 §2.1.2; CB-09).
    if (['id_token', 'access_token', 'token_type'].some((p) => params.has(p))) throw new LoginError('the callback carries tokens');
    const config = await this.config();
    let tokens: Awaited<ReturnType<typeof oc.authorizationCodeGrant>>;
    try {
      tokens = await oc.authorizationCodeGrant(config, callback, {
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        pkceCodeVerifier: transaction.codeVerifier,
        maxAge: transaction.maxAge,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new LoginError(`the callback was refused: ${(e as Error).message}`, undefined, { cause: e });
    }
    return this.result(config, tokens);
  }

  /** New tokens for a login; the new ID token must be about the same subject from the same issuer (OIDC Core §12.2). */
  async refresh(login: LoginResult): Promise<LoginResult> {
    if (!login.refreshToken) throw new LoginError('there is no refresh token');
    const config = await this.config();
    const tokens = await oc.refreshTokenGrant(config, login.refreshToken);
    const claims = tokens.claims();
    if (claims && (claims.sub !== login.sub || claims.iss !== login.issuer)) throw new LoginError('the refreshed ID token is about someone else');
    const next = await this.result(config, tokens, login);
    return { ...next, refreshToken: next.refreshToken ?? login.refreshToken };
  }

  private async result(config: oc.Configuration, tokens: oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers, previous?: LoginResult): Promise<LoginResult> {
    const claims = (tokens.claims() as Record<string, unknown> | undefined) ?? previous?.claims;
    const lifetime = (tokens.expiresIn() ?? 300) * 1000;
    if (!claims || typeof claims.sub !== 'string') throw new LoginError('no ID token');
    // What openid-client leaves to us (OIDC Core §2, §3.1.3.7 steps 3–5, 10; docs/SECURITY.md ID-02, ID-04, JW-13).
    if (claims.sub === '') throw new LoginError('the ID token has an empty subject');
    if (tokens.id_token) {
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (audiences.some((a) => a !== this.options.clientId)) throw new LoginError('the ID token has an untrusted audience');
      if (claims.azp !== undefined && claims.azp !== this.options.clientId) throw new LoginError('the ID token was issued to another party (azp)');
      const now = Date.now() / 1000;
      if (typeof claims.iat !== 'number' || claims.iat > now + 60) throw new LoginError('the ID token was issued in the future');
      // A fresh login's ID token is minutes old at most: the transaction itself lives ten minutes.
      if (!previous && claims.iat < now - TRANSACTION_TTL_MS / 1000 - 60) throw new LoginError('the ID token is too old');
    }
    const result: LoginResult = {
      sub: claims.sub,
      issuer: String(claims.iss),
      claims,
      idToken: tokens.id_token ?? previous!.idToken,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresAt: Date.now() + lifetime,
      refreshAt: Date.now() + lifetime - Math.min(30_000, lifetime / 10),
      scope: tokens.scope,
    };
    if (config.serverMetadata().userinfo_endpoint && (tokens.scope ?? this.options.scope ?? 'openid').split(' ').includes('openid')) {
      // The userinfo must be about the ID token's subject (OIDC Core §5.3.2; docs/SECURITY.md ID-07).
      result.userinfo = (await oc.fetchUserInfo(config, tokens.access_token, claims.sub)) as Record<string, unknown>;
    }
    return result;
  }

  /** Validates a back-channel `logout_token` (throws LogoutTokenError) and says whose sessions end. */
  async validateLogoutToken(token: unknown): Promise<LogoutRequest> {
    this.logoutTokens ??= this.config()
      .then((config) => {
        const meta = config.serverMetadata();
        if (!meta.jwks_uri) throw new LogoutTokenError('the provider publishes no keys');
        const supported = meta.id_token_signing_alg_values_supported?.filter((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
        return logoutTokenValidator({ issuer: meta.issuer, clientId: this.options.clientId, keys: createRemoteKeySet(new URL(meta.jwks_uri), { timeout: (this.options.timeout ?? 10) * 1000, cooldown: 30_000 }), algorithms: supported?.length ? supported : undefined });
      })
      .catch((e) => {
        this.logoutTokens = undefined;
        throw e;
      });
    return (await this.logoutTokens)(token);
  }

  /** The provider's end_session_endpoint (RP-Initiated Logout 1.0 §2.1), when its metadata names one. */
  async endSessionEndpoint(): Promise<string | undefined> {
    return (await this.config()).serverMetadata().end_session_endpoint;
  }

  /** The provider's end-session URL for this login, when it has one. */
  async endSessionUrl(login: LoginResult | undefined): Promise<string | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    const params: Record<string, string> = { client_id: this.options.clientId };
    if (login) params.id_token_hint = login.idToken;
    if (this.options.postLogoutRedirectUri) params.post_logout_redirect_uri = this.options.postLogoutRedirectUri;
    return oc.buildEndSessionUrl(config, params).toString();
  }
}
