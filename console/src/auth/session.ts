/**
 * Signing in to the console and the account page: the provider's authorization code flow with
 * PKCE (RFC 7636), as the public first-party client the service registers for each (docs/CONSOLE.md,
 * docs/ACCOUNTS.md "The account page"); the page's configuration names the client and its base
 * path, `AuthOptions` the scopes. Tokens live in
 * memory only — never in storage a script could read later —; the rotating refresh token renews
 * them (RFC 9700 §4.14.2). Only the flow's own one-time values (state, nonce, verifier, where to
 * return) wait in sessionStorage during the redirect.
 *
 * When the session ends while a form is open, `renew()` signs in again in a small window, so
 * that nothing typed is lost; the callback page in that window hands its URL back to this one.
 */
import type { ConsoleConfig } from '../config';
import { jwtClaims, randomToken, s256 } from './pkce';

export type AuthState =
  | { status: 'signing-in' }
  | { status: 'signed-in'; sub: string }
  | { status: 'expired' }
  | { status: 'failed'; message: string };

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

interface Endpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
}

/** Thrown when no token can be had without signing in again. */
export class SessionExpired extends Error {
  constructor() {
    super('Your session has ended. Sign in again to continue.');
    this.name = 'SessionExpired';
  }
}

/** The console's scopes: `admin` for the API, `offline_access` for a refresh token (OIDC Core §11). */
export const CONSOLE_SCOPE = 'openid profile admin offline_access';

export interface AuthOptions {
  /** The scopes asked for (default CONSOLE_SCOPE). */
  scope: string;
  /**
   * Names what this page keeps apart from the other pages of the origin: its pending sign-in in
   * sessionStorage, its sign-in window and that window's message (default `jwt-oidc-console`).
   */
  name: string;
  fetch: typeof fetch;
  now: () => number;
}
/** Renew this long before the access token expires. */
const EARLY_MS = 30_000;

export class Auth {
  private tokens: Tokens | undefined;
  private refreshing: Promise<Tokens> | undefined;
  private endpoints: Promise<Endpoints> | undefined;
  private listeners = new Set<() => void>();
  private current: AuthState = { status: 'signing-in' };
  private readonly env: AuthOptions;

  constructor(
    readonly config: ConsoleConfig,
    options: Partial<AuthOptions> = {},
  ) {
    this.env = { scope: CONSOLE_SCOPE, name: 'jwt-oidc-console', fetch: (...a) => fetch(...a), now: () => Date.now(), ...options };
  }

  private get pendingKey(): string {
    return `${this.env.name}.signin`;
  }

  private get popupName(): string {
    return `${this.env.name}-signin`;
  }

  private get callbackMessage(): string {
    return `${this.env.name}.callback`;
  }

  /** `<origin><base>/`: the page's own address (where a sign-out comes back). */
  private get home(): string {
    return `${new URL(this.config.issuer).origin}${this.config.base}/`;
  }

  get state(): AuthState {
    return this.current;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(state: AuthState): void {
    this.current = state;
    for (const l of this.listeners) l();
  }

  /** The redirect URI registered for the page's client: `<base>/callback` (src/console/client.ts). */
  get callbackUrl(): string {
    return `${this.home}callback`;
  }

  /** On load: finish a sign-in that came back here, or start one. */
  async start(): Promise<void> {
    try {
      const here = new URL(location.href);
      if (here.pathname === `${this.config.base}/callback`) {
        if (window.opener && window.name === this.popupName) {
          // The small window of renew(): the opener exchanges the code, with its own verifier.
          (window.opener as Window).postMessage({ type: this.callbackMessage, url: here.href }, location.origin);
          window.close();
          return;
        }
        const pending = this.takePending();
        const sub = await this.finish(here, pending);
        // Before the shell renders: it reads its route from the address.
        history.replaceState(null, '', pending!.returnTo);
        this.set({ status: 'signed-in', sub });
        return;
      }
      await this.redirect(here.pathname + here.search);
    } catch (e) {
      this.set({ status: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The way to the provider's sign-in page, coming back to `returnTo`. */
  async redirect(returnTo: string): Promise<void> {
    const pending: Pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(), returnTo: this.ownPath(returnTo) };
    sessionStorage.setItem(this.pendingKey, JSON.stringify(pending));
    location.assign(await this.authorizationUrl(pending));
  }

  /**
   * Signs in again in a small window (the provider's session usually answers at once) and keeps
   * this page as it is. Resolves once signed in; rejects when the window is closed or blocked.
   */
  async renew(): Promise<void> {
    const pending: Pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(), returnTo: '' };
    const popup = window.open(await this.authorizationUrl(pending), this.popupName, 'popup,width=480,height=640');
    if (!popup) throw new Error('The sign-in window was blocked: allow pop-ups for this page, or reload it.');
    const url = await new Promise<string>((resolve, reject) => {
      const closed = setInterval(() => {
        if (popup.closed) done(() => reject(new Error('The sign-in window was closed.')));
      }, 500);
      const onMessage = (e: MessageEvent) => {
        if (e.origin !== location.origin || e.source !== popup || (e.data as { type?: unknown })?.type !== this.callbackMessage) return;
        done(() => resolve(String((e.data as { url: unknown }).url)));
      };
      const done = (then: () => void) => {
        clearInterval(closed);
        window.removeEventListener('message', onMessage);
        then();
      };
      window.addEventListener('message', onMessage);
    });
    this.set({ status: 'signed-in', sub: await this.finish(new URL(url), pending) });
  }

  /** A valid access token, renewed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const tokens = this.tokens;
    if (!tokens) throw new SessionExpired();
    if (tokens.expiresAt - EARLY_MS > this.env.now()) return tokens.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Renews the tokens now (once for all callers at a time); SessionExpired when the provider refuses. */
  refresh(): Promise<Tokens> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Revokes the refresh token (RFC 7009) and ends the provider's session (RP-Initiated Logout 1.0 §2). */
  async signOut(): Promise<void> {
    const endpoints = await this.discover();
    const tokens = this.tokens;
    this.tokens = undefined;
    if (tokens?.refreshToken && endpoints.revocation_endpoint) {
      await this.post(endpoints.revocation_endpoint, { token: tokens.refreshToken, token_type_hint: 'refresh_token', client_id: this.config.clientId }).catch(() => undefined);
    }
    if (!endpoints.end_session_endpoint) return location.assign(`${this.config.base}/`);
    const url = new URL(endpoints.end_session_endpoint);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('post_logout_redirect_uri', this.home);
    if (tokens) url.searchParams.set('id_token_hint', tokens.idToken);
    location.assign(url.href);
  }

  private async doRefresh(): Promise<Tokens> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) return this.expire();
    const endpoints = await this.discover();
    let answer: Response;
    try {
      answer = await this.post(endpoints.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: this.config.clientId });
    } catch {
      throw new Error('The server cannot be reached.');
    }
    if (answer.status === 400 || answer.status === 401) return this.expire();
    if (!answer.ok) throw new Error(`The server could not renew the session (HTTP ${answer.status}).`);
    return this.keep((await answer.json()) as TokenResponse, this.tokens?.idToken);
  }

  private expire(): never {
    this.tokens = undefined;
    this.set({ status: 'expired' });
    throw new SessionExpired();
  }

  /** Exchanges the code of a callback; the subject signed in. */
  private async finish(url: URL, pending: Pending | undefined): Promise<string> {
    const params = url.searchParams;
    if (!pending || params.get('state') !== pending.state) throw new Error('This sign-in was not started here, or was already used. Open the page again.');
    const error = params.get('error');
    if (error) throw new Error(error === 'access_denied' ? 'Sign-in was cancelled.' : `Sign-in failed: ${params.get('error_description') ?? error}`);
    const code = params.get('code');
    if (!code) throw new Error('Sign-in failed: the provider sent no code.');
    const endpoints = await this.discover();
    const answer = await this.post(endpoints.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: this.callbackUrl, client_id: this.config.clientId, code_verifier: pending.verifier });
    if (!answer.ok) throw new Error(`Sign-in failed: the provider refused the code (HTTP ${answer.status}).`);
    const tokens = this.keep((await answer.json()) as TokenResponse, undefined, pending.nonce);
    return String(jwtClaims(tokens.idToken).sub);
  }

  private keep(answer: TokenResponse, previousIdToken: string | undefined, nonce?: string): Tokens {
    const idToken = answer.id_token ?? previousIdToken;
    if (!answer.access_token || !idToken) throw new Error('The provider answered without tokens.');
    if (nonce !== undefined) {
      // OIDC Core §3.1.3.7: from the token endpoint over TLS, the claims are checked, not the signature.
      const claims = jwtClaims(idToken);
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (claims.iss !== this.config.issuer || !aud.includes(this.config.clientId) || claims.nonce !== nonce) throw new Error('Sign-in failed: the ID token is not for this page.');
    }
    const tokens: Tokens = {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token ?? this.tokens?.refreshToken,
      idToken,
      expiresAt: this.env.now() + (answer.expires_in ?? 60) * 1000,
    };
    this.tokens = tokens;
    return tokens;
  }

  private async authorizationUrl(pending: Pending): Promise<string> {
    const endpoints = await this.discover();
    const url = new URL(endpoints.authorization_endpoint);
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', this.config.clientId);
    q.set('redirect_uri', this.callbackUrl);
    q.set('scope', this.env.scope);
    q.set('state', pending.state);
    q.set('nonce', pending.nonce);
    q.set('code_challenge', await s256(pending.verifier));
    q.set('code_challenge_method', 'S256');
    // A provider that requires pushed authorization requests (JWT_OIDC_REQUIRE_PAR): the
    // parameters go to its PAR endpoint, the browser carries only the request_uri (RFC 9126 §4).
    if (endpoints.require_pushed_authorization_requests && endpoints.pushed_authorization_request_endpoint) {
      const res = await this.post(endpoints.pushed_authorization_request_endpoint, Object.fromEntries(q));
      const answer = (await res.json().catch(() => ({}))) as { request_uri?: unknown };
      if (res.status !== 201 || typeof answer.request_uri !== 'string') throw new Error(`The provider refused the sign-in request (HTTP ${res.status}).`);
      url.search = new URLSearchParams({ client_id: this.config.clientId, request_uri: answer.request_uri }).toString();
    }
    return url.href;
  }

  private takePending(): Pending | undefined {
    const raw = sessionStorage.getItem(this.pendingKey);
    sessionStorage.removeItem(this.pendingKey);
    return raw ? (JSON.parse(raw) as Pending) : undefined;
  }

  /** Only a path of this page to return to: never another origin (an open redirect). */
  private ownPath(path: string): string {
    return path.startsWith(`${this.config.base}/`) || path === this.config.base ? path.replace(/^\/+/, '/') : `${this.config.base}/`;
  }

  private discover(): Promise<Endpoints> {
    this.endpoints ??= this.env
      .fetch(`${this.config.issuer}/.well-known/openid-configuration`)
      .then((r) => {
        if (!r.ok) throw new Error(`The provider's discovery document is unavailable (HTTP ${r.status}).`);
        return r.json() as Promise<Endpoints>;
      })
      .catch((e: unknown) => {
        this.endpoints = undefined;
        throw e;
      });
    return this.endpoints;
  }

  private post(url: string, form: Record<string, string>): Promise<Response> {
    return this.env.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  }
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
}
