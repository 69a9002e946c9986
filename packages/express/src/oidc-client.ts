/**
 * `oidcClient(options)`: login at any OpenID Provider for an Express app — the original's
 * `request.user`, `user_claims`, `userinfo` and `get_access_token()`, as `req.user`,
 * `req.userClaims`, `req.userinfo` and `req.getAccessToken()`. Routes under `basePath`
 * (default `/openid`): `GET login`, `GET callback`, `GET`/`POST logout`. Sessions live on the
 * server; the browser holds a random id in an HttpOnly cookie that is renewed at login.
 */
import { randomBytes } from 'node:crypto';
import * as oc from 'openid-client';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { readCookie, safeEqual, sessionCookieName, sessionIdHash, writeCookie } from './http.js';
import { LoginError, ProviderUnavailableError, RelyingParty, TRANSACTION_TTL_MS, type LoginResult, type LoginTransaction, type RelyingPartyOptions } from './relying-party.js';
import { PostgresSessionStore, type SessionStore } from './session-store.js';
import { MemorySessionStore } from './memory-session-store.js';
import { LogoutTokenError } from './logout-token.js';
import { renderDefaultPage, type ErrorPageView, type PageRenderer, type RelyingPartyPage } from './pages.js';
import { originSource, pagePolicy } from './page-policy.js';
import { issuerFromDiscovery } from '@jwt-oidc/resource';
import { mapUser, type LocalUser, type UserMapping, type UserStore, type WritableField } from './user-mapping.js';

export interface OidcClientOptions extends Omit<RelyingPartyOptions, 'redirectUri'> {
  /** This app's origin, e.g. `https://app.example` (the callback is `<baseUrl><basePath>/callback`). */
  baseUrl: string;
  /** Where the routes are (default `/openid`). */
  basePath?: string;
  /** After login when no `returnTo` was given (default `/`; same-origin paths only). */
  loginRedirectUrl?: string;
  /** After logout (default `/`). */
  logoutRedirectUrl?: string;
  /**
   * Where sessions live: a store of your own, or `databaseUrl` for a `PostgresSessionStore` (needs
   * the `pg` package). Without either, sessions are kept in this process's memory (development
   * only: lost at restart, not shared between processes; a warning says so once).
   */
  sessionStore?: SessionStore;
  databaseUrl?: string;
  /** Receives configuration warnings (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
  /** Session lifetime in seconds (default 86 400). */
  sessionTtl?: number;
  /** Local users; without a store, `req.user` stays null. */
  userStore?: UserStore;
  identificationClaim?: string;
  createUser?: boolean;
  renameAttributes?: Record<string, string>;
  defaultAttributes?: Partial<Record<WritableField, unknown>>;
  /** Receives failures that the user only sees as a generic page. */
  onError?: (error: unknown) => void;
  /**
   * Renders the sign-out form and the error pages (a `RelyingPartyPage`: plain-text strings to
   * escape) as a complete HTML document, to give them your app's look. The package still sends
   * the headers, Content-Security-Policy included: inline `<style>` elements are allowed by their
   * hash, images only when the page has one, never a script. A renderer that throws is reported
   * to `onError` and replaced by the default page. Default: `renderDefaultPage`.
   */
  renderPage?: PageRenderer;
}

interface SessionData {
  csrf: string;
  transactions: Record<string, LoginTransaction>;
  login?: LoginResult;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The local user (with a user store), or null. */
    user?: LocalUser | null;
    /** The ID token's claims, when logged in. */
    userClaims?: Record<string, unknown>;
    /** The provider's userinfo, when logged in. */
    userinfo?: Record<string, unknown>;
    /** A valid access token (refreshed when it expired), or undefined when logged out. */
    getAccessToken(): Promise<string | undefined>;
    /** Whether a user is logged in, the CSRF token of the logout form, and the scope granted at login. */
    oidc: { loggedIn: boolean; csrfToken: string; scope?: string };
  }
}

/** Same-origin paths only: `/a/b?c`; never `//host`, `/\host`, a scheme, an encoded slash (RFC 9700 §4.11.1) or a control character. */
export function safeReturnTo(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 2048) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  const ok = (v: string) => /^\/(?![/\\])[^\s\\\x00-\x1f\x7f]*$/.test(v);
  return ok(value) && ok(decoded) ? value : fallback;
}

/** The router, and `close()` to release what it opened (the session store's pool). */
export type OidcClientRouter = Router & { close(): Promise<void> };

export function oidcClient(options: OidcClientOptions): OidcClientRouter {
  const base = (options.basePath ?? '/openid').replace(/\/$/, '');
  const origin = options.baseUrl.replace(/\/$/, '');
  const postLogoutRedirectUri = options.postLogoutRedirectUri ?? `${origin}${options.logoutRedirectUrl ?? '/'}`;
  const rp = new RelyingParty({ ...options, redirectUri: `${origin}${base}/callback`, postLogoutRedirectUri });
  const issuerOrigin = originSource(issuerFromDiscovery(options.discoveryEndpoint) ?? options.discoveryEndpoint);
  const store: SessionStore = options.sessionStore ?? (options.databaseUrl ? new PostgresSessionStore({ connectionString: options.databaseUrl }) : new MemorySessionStore({ warn: options.onWarning }));
  const ttlMs = (options.sessionTtl ?? 86_400) * 1000;
  const secure = origin.startsWith('https://');
  const cookie = sessionCookieName('jwt-oidc.rp', secure);
  const loginRedirect = safeReturnTo(options.loginRedirectUrl ?? '/', '/');
  const logoutRedirect = safeReturnTo(options.logoutRedirectUrl ?? '/', '/');
  const mapping: UserMapping = { identificationClaim: options.identificationClaim ?? 'sub', createUser: options.createUser ?? false, renameAttributes: options.renameAttributes ?? {}, defaultAttributes: options.defaultAttributes ?? {} };
  const refreshing = new Map<string, Promise<LoginResult | undefined>>();
  const report = (e: unknown) => options.onError?.(e);
  const render = options.renderPage ?? renderDefaultPage;

  const setCookie = (res: Response, id: string, maxAge: number | undefined) => writeCookie(res, cookie, id, maxAge, secure);

  /** Sends a page with the policy its content needs; a failing renderer falls back to the default page. */
  function sendPage(res: Response, view: RelyingPartyPage, formAction: readonly string[] = ["'self'"]): void {
    let document: string;
    try {
      document = render(view);
      if (typeof document !== 'string') throw new TypeError('renderPage returned no HTML');
    } catch (e) {
      report(e);
      document = renderDefaultPage(view);
    }
    res
      .status(view.status)
      .set({ 'Content-Security-Policy': pagePolicy(document, formAction), 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .type('html')
      .send(document);
  }

  /** A generic error page: what went wrong in a sentence, the request id for support, a way on. */
  function errorPage(req: Request, res: Response, page: Omit<ErrorPageView, 'kind' | 'requestId'>): void {
    sendPage(res, { kind: 'error', ...page, requestId: requestIdOf(req, res) });
  }

  /**
   * Where the sign-out form's POST may end. Signed in: here, the provider's end-session endpoint
   * it redirects to, and the post-logout redirect the provider sends the browser back to (without
   * the provider's metadata — it cannot be reached — its issuer's origin is the best guess).
   * Signed out: the POST only ever redirects here.
   */
  async function signOutFormAction(loggedIn: boolean): Promise<string[]> {
    if (!loggedIn) return ["'self'"];
    const endSession = await rp.endSessionEndpoint().then(originSource, () => issuerOrigin);
    return ["'self'", originSource(origin), endSession, originSource(postLogoutRedirectUri)].filter((s): s is string => !!s);
  }

  const signInAgain = { href: `${base}/login`, text: 'Sign in again' };

  async function load(req: Request): Promise<{ id: string; data: SessionData } | undefined> {
    const id = readCookie(req, cookie);
    if (!id || id.length > 128) return undefined;
    const data = (await store.get(sessionIdHash(id))) as SessionData | undefined;
    return data ? { id, data } : undefined;
  }

  async function save(res: Response, session: { id: string; data: SessionData }): Promise<void> {
    await store.set(sessionIdHash(session.id), session.data as unknown as Record<string, unknown>, Date.now() + ttlMs);
    setCookie(res, session.id, Math.floor(ttlMs / 1000));
  }

  const fresh = (): { id: string; data: SessionData } => ({ id: randomBytes(32).toString('base64url'), data: { csrf: randomBytes(32).toString('base64url'), transactions: {} } });

  const router = Router() as OidcClientRouter;
  router.close = async () => {
    if (!options.sessionStore && store instanceof PostgresSessionStore) await store.close();
  };
  router.use(
    asyncHandler(async (req, res, next) => {
      const session = await load(req);
      const login = session?.data.login;
      req.oidc = { loggedIn: !!login, csrfToken: session?.data.csrf ?? '', scope: login?.scope };
      req.userClaims = login?.claims;
      req.userinfo = login?.userinfo;
      req.user = null;
      if (login && options.userStore) {
        // The same claims as at the callback (mapUser): the ID token's over userinfo's.
        const identifier = ({ ...login.userinfo, ...login.claims } as Record<string, unknown>)[mapping.identificationClaim];
        const user = typeof identifier === 'string' ? await options.userStore.find(identifier) : undefined;
        req.user = user && user.active !== false ? user : null;
      }
      req.getAccessToken = async () => {
        if (!session?.data.login) return undefined;
        const current = session.data.login;
        if (current.refreshAt > Date.now()) return current.accessToken;
        if (!current.refreshToken) return undefined;
        const key = sessionIdHash(session.id);
        let job = refreshing.get(key);
        if (!job) {
          job = refresh(key, current).finally(() => refreshing.delete(key));
          refreshing.set(key, job);
        }
        const next = await job;
        if (!next) {
          // The provider refused: the session ends cleanly.
          req.oidc.loggedIn = false;
          req.user = null;
          req.userClaims = req.userinfo = undefined;
          return undefined;
        }
        session.data.login = next;
        req.oidc.scope = next.scope;
        req.userClaims = next.claims;
        req.userinfo = next.userinfo;
        return next.accessToken;
      };
      next();
    }),
  );

  /** One refresh per session, across processes when the store can lock; a refusal ends the session. */
  async function refresh(key: string, current: LoginResult): Promise<LoginResult | undefined> {
    const run = async () => {
      const latest = ((await store.get(key)) as SessionData | undefined)?.login;
      if (!latest) return undefined;
      if (latest.accessToken !== current.accessToken && latest.refreshAt > Date.now()) return latest; // done elsewhere
      try {
        const next = await rp.refresh(latest);
        const data = (await store.get(key)) as unknown as SessionData;
        await store.set(key, { ...data, login: next } as unknown as Record<string, unknown>, Date.now() + ttlMs);
        return next;
      } catch (e) {
        report(e);
        // The provider cannot be reached: the session stays, the caller sees the error.
        if (!refused(e)) throw e;
        await store.destroy(key);
        return undefined;
      }
    };
    return store.withLock ? store.withLock(key, run) : run();
  }

  router.get(
    `${base}/login`,
    asyncHandler(async (req, res) => {
      const returnTo = safeReturnTo(req.query.returnTo, loginRedirect);
      let started: Awaited<ReturnType<RelyingParty['startLogin']>>;
      try {
        started = await rp.startLogin(returnTo);
      } catch (e) {
        if (!(e instanceof ProviderUnavailableError)) throw e;
        report(e);
        res.set('Retry-After', String(e.retryAfter));
        return errorPage(req, res, {
          status: 503,
          title: 'Sign-in unavailable',
          message: 'The sign-in service cannot be reached right now. Please try again in a moment.',
          link: { href: `${base}/login?returnTo=${encodeURIComponent(returnTo)}`, text: 'Try again' },
        });
      }
      const { url, transaction } = started;
      const session = (await load(req)) ?? fresh();
      const now = Date.now();
      // At most a few pending logins per browser, none older than ten minutes.
      const pending = Object.entries(session.data.transactions).filter(([, t]) => now - t.createdAt < TRANSACTION_TTL_MS).slice(-4);
      session.data.transactions = Object.fromEntries([...pending, [transaction.state, transaction]]);
      await save(res, session);
      res.set('Cache-Control', 'no-store').redirect(303, url);
    }),
  );

  router.get(
    `${base}/callback`,
    asyncHandler(async (req, res) => {
      res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      const session = await load(req);
      const state = req.query.state;
      // No pending transaction of this browser for this state: no token request at all (CB-01…CB-04).
      const transaction = typeof state === 'string' ? session?.data.transactions[state] : undefined;
      if (!session || !transaction) return errorPage(req, res, { status: 400, title: 'Sign-in link not valid', message: 'This sign-in link is not valid here. Please start again.', link: signInAgain });
      delete session.data.transactions[state as string]; // single use, even when it fails below
      await store.set(sessionIdHash(session.id), session.data as unknown as Record<string, unknown>, Date.now() + ttlMs);
      let login: LoginResult;
      try {
        login = await rp.finishLogin(new URL(req.originalUrl, origin), transaction);
      } catch (e) {
        report(e);
        const cancelled = e instanceof LoginError && e.providerError === 'access_denied';
        return errorPage(req, res, cancelled ? { status: 400, title: 'Sign-in cancelled', message: 'Sign-in was cancelled.', link: signInAgain } : { status: 400, title: 'Sign-in failed', message: 'Sign-in did not succeed. Please start again.', link: signInAgain });
      }
      if (options.userStore) {
        const user = await mapUser(options.userStore, mapping, { ...login.userinfo, ...login.claims });
        if (user?.active === false) return errorPage(req, res, { status: 403, title: 'Account disabled', message: 'This account is disabled.' });
      }
      // A new session id at login: whatever id the browser had is dead (docs/SECURITY.md SE-01).
      await store.destroy(sessionIdHash(session.id));
      const next = fresh();
      next.data.login = login;
      await save(res, next);
      res.redirect(303, transaction.returnTo);
    }),
  );

  router.get(
    `${base}/logout`,
    asyncHandler(async (req, res) => {
      sendPage(
        res,
        {
          kind: 'sign-out',
          status: 200,
          title: 'Sign out',
          message: req.oidc.loggedIn ? 'Do you want to sign out?' : 'You are not signed in here.',
          action: `${base}/logout`,
          csrfToken: req.oidc.csrfToken,
          link: { href: loginRedirect, text: req.oidc.loggedIn ? 'Stay signed in' : 'Back' },
        },
        await signOutFormAction(req.oidc.loggedIn),
      );
    }),
  );

  router.post(
    `${base}/logout`,
    express.urlencoded({ extended: false, limit: '4kb' }),
    asyncHandler(async (req, res) => {
      const session = await load(req);
      const sent = typeof req.body?.csrf === 'string' ? req.body.csrf : '';
      // Nobody is signed in here (the cookie expired, another tab signed out): nothing to end, so
      // nothing to forge either; the browser goes where a sign-out ends rather than to an error.
      if (!session?.data.login) return void res.set('Cache-Control', 'no-store').redirect(303, logoutRedirect);
      if (!safeEqual(sent, session.data.csrf)) return errorPage(req, res, { status: 400, title: 'Sign-out not valid', message: 'The sign-out request is not valid.', link: { href: `${base}/logout`, text: 'Try again' } });
      await store.destroy(sessionIdHash(session.id));
      setCookie(res, '', 0);
      const endSession = session.data.login ? await rp.endSessionUrl(session.data.login).catch(() => undefined) : undefined;
      res.set('Cache-Control', 'no-store').redirect(303, endSession ?? logoutRedirect);
    }),
  );
  // Back-Channel Logout 1.0 §2.5: register `<baseUrl><basePath>/backchannel-logout` at the provider.
  if (store.destroyByLogin) {
    router.post(
      `${base}/backchannel-logout`,
      express.urlencoded({ extended: false, limit: '16kb' }),
      asyncHandler(async (req, res) => {
        res.set({ 'Cache-Control': 'no-store' });
        let login;
        try {
          login = await rp.validateLogoutToken(req.body?.logout_token);
        } catch (e) {
          report(e);
          // §2.8: 400 for a token that cannot be accepted; nothing ends.
          return void res.status(400).json({ error: 'invalid_request', error_description: e instanceof LogoutTokenError ? e.message : 'the logout token cannot be checked now' });
        }
        await store.destroyByLogin!(login);
        res.status(200).end();
      }),
    );
  }
  return router;
}

/** The provider answered and said no (invalid_grant…), or its answer could not be accepted. */
function refused(e: unknown): boolean {
  return e instanceof LoginError || e instanceof oc.ResponseBodyError || (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('OAUTH_') && e.code !== 'OAUTH_TIMEOUT');
}

/**
 * The id of this request in the app's logs, for the user to quote: `req.id` (set by request
 * loggers such as pino-http) or the `X-Request-Id` response header; printable ASCII, 128 at most.
 */
function requestIdOf(req: Request, res: Response): string | undefined {
  const own = (req as { id?: unknown }).id;
  const id = typeof own === 'string' || typeof own === 'number' ? String(own) : res.get('X-Request-Id');
  return id && /^[\x21-\x7e]{1,128}$/.test(id) ? id : undefined;
}

function asyncHandler(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, next).catch(next);
  };
}
