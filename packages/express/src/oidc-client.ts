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
import { escapeHtml, readCookie, safeEqual, sessionCookieName, sessionIdHash, writeCookie } from './http.js';
import { LoginError, ProviderUnavailableError, RelyingParty, TRANSACTION_TTL_MS, type LoginResult, type LoginTransaction, type RelyingPartyOptions } from './relying-party.js';
import { PostgresSessionStore, type SessionStore } from './session-store.js';
import { MemorySessionStore } from './memory-session-store.js';
import { LogoutTokenError } from './logout-token.js';
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
  const rp = new RelyingParty({ ...options, redirectUri: `${origin}${base}/callback`, postLogoutRedirectUri: options.postLogoutRedirectUri ?? `${origin}${options.logoutRedirectUrl ?? '/'}` });
  const store: SessionStore = options.sessionStore ?? (options.databaseUrl ? new PostgresSessionStore({ connectionString: options.databaseUrl }) : new MemorySessionStore({ warn: options.onWarning }));
  const ttlMs = (options.sessionTtl ?? 86_400) * 1000;
  const secure = origin.startsWith('https://');
  const cookie = sessionCookieName('jwt-oidc.rp', secure);
  const loginRedirect = safeReturnTo(options.loginRedirectUrl ?? '/', '/');
  const logoutRedirect = safeReturnTo(options.logoutRedirectUrl ?? '/', '/');
  const mapping: UserMapping = { identificationClaim: options.identificationClaim ?? 'sub', createUser: options.createUser ?? false, renameAttributes: options.renameAttributes ?? {}, defaultAttributes: options.defaultAttributes ?? {} };
  const refreshing = new Map<string, Promise<LoginResult | undefined>>();
  const report = (e: unknown) => options.onError?.(e);

  const setCookie = (res: Response, id: string, maxAge: number | undefined) => writeCookie(res, cookie, id, maxAge, secure);

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
        return errorPage(res, 503, 'The sign-in service cannot be reached right now. Please try again in a moment.');
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
      if (!session || !transaction) return errorPage(res, 400, 'This sign-in link is not valid here. Please start again.');
      delete session.data.transactions[state as string]; // single use, even when it fails below
      await store.set(sessionIdHash(session.id), session.data as unknown as Record<string, unknown>, Date.now() + ttlMs);
      let login: LoginResult;
      try {
        login = await rp.finishLogin(new URL(req.originalUrl, origin), transaction);
      } catch (e) {
        report(e);
        return errorPage(res, 400, e instanceof LoginError && e.providerError === 'access_denied' ? 'Sign-in was cancelled.' : 'Sign-in did not succeed. Please start again.');
      }
      if (options.userStore) {
        const user = await mapUser(options.userStore, mapping, { ...login.userinfo, ...login.claims });
        if (user?.active === false) return errorPage(res, 403, 'This account is disabled.');
      }
      // A new session id at login: whatever id the browser had is dead (SECURITY-CASES SE-01).
      await store.destroy(sessionIdHash(session.id));
      const next = fresh();
      next.data.login = login;
      await save(res, next);
      res.redirect(303, transaction.returnTo);
    }),
  );

  router.get(`${base}/logout`, (req, res) => {
    const token = req.oidc.csrfToken;
    res.set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'", 'X-Frame-Options': 'DENY' });
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>Sign out</title><form method="post" action="${escapeHtml(`${base}/logout`)}"><input type="hidden" name="csrf" value="${escapeHtml(token)}"><button type="submit">Sign out</button></form>`);
  });

  router.post(
    `${base}/logout`,
    express.urlencoded({ extended: false, limit: '4kb' }),
    asyncHandler(async (req, res) => {
      const session = await load(req);
      const sent = typeof req.body?.csrf === 'string' ? req.body.csrf : '';
      if (!session || !safeEqual(sent, session.data.csrf)) return errorPage(res, 400, 'The sign-out request is not valid.');
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

function errorPage(res: Response, status: number, message: string): void {
  res
    .status(status)
    .set({ 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'", 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
    .type('html')
    .send(`<!doctype html><meta charset="utf-8"><title>Sign-in</title><p>${escapeHtml(message)}</p>`);
}

function asyncHandler(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, next).catch(next);
  };
}
