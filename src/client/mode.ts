/**
 * TYPE=client: this service as a frontend's backend (BFF). It logs users in at the upstream
 * provider (routes under /openid, sessions in PostgreSQL, users in its own table) and answers
 * `me` on /graphql from the session cookie — or from a bearer token of the upstream provider.
 */
import type { RequestHandler, Router } from 'express';
import type { Settings } from '../config/load.js';
import { issuerFromDiscovery } from '../config/derive.js';
import type { Database } from '../db/database.js';
import { oidcClient, PostgresSessionStore } from '@jwt-oidc/express';
import type { Logger } from '../log.js';
import { RemoteIssuer } from '@jwt-oidc/resource';
import { OrmUserStore, type UserStore } from './user-store.js';
import { renderClientPage } from './pages.js';
import { clientHome } from './home.js';

export const CLIENT_BASE_PATH = '/openid';

/** The relying party's sessions expire (`expires_at`): swept by the housekeeping (src/db/housekeeping.ts). */
export const CLIENT_EXPIRING_TABLES = ['jwt_oidc_rp_sessions'] as const;

export interface ClientMode {
  router: Router;
  /** Verifies the upstream provider's bearer tokens (audience: CLIENT_ID). */
  upstream: RemoteIssuer;
  users: UserStore;
  sessions: PostgresSessionStore;
  /** `GET /` when nothing else answers it: who is signed in, and where the frontend belongs. */
  home: RequestHandler;
  stop(): Promise<void>;
}

export function createClientMode(settings: Settings, db: Database, logger: Logger): ClientMode {
  const discovery = settings.discoveryEndpoint!;
  const baseUrl = settings.publicUrl?.replace(/\/$/, '') ?? `http://localhost:${settings.port}`;
  const local = !settings.production;
  const sessions = new PostgresSessionStore({ connectionString: db.url, createTable: false });
  const users = new OrmUserStore(db.orm.em);
  const router = oidcClient({
    discoveryEndpoint: discovery,
    clientId: settings.clientId!,
    clientSecret: settings.clientSecret,
    baseUrl,
    basePath: CLIENT_BASE_PATH,
    scope: settings.scope,
    pkce: settings.pkceExtension,
    authorizationParams: {
      display: settings.clientDisplay,
      prompt: settings.clientPrompt,
      max_age: settings.clientMaxAge === undefined ? undefined : String(settings.clientMaxAge),
      ui_locales: settings.clientUiLocales,
      claims_locales: settings.clientClaimsLocales,
      id_token_hint: settings.clientIdTokenHint,
      login_hint: settings.clientLoginHint,
      acr_values: settings.clientAcrValues,
    },
    loginRedirectUrl: settings.loginRedirectUrl,
    logoutRedirectUrl: settings.logoutRedirectUrl,
    sessionStore: sessions,
    sessionTtl: settings.sessionExpirationTime,
    userStore: users,
    identificationClaim: settings.identificationClaim,
    createUser: settings.createUser,
    renameAttributes: settings.idTokenRenameAttributes,
    defaultAttributes: settings.userDefaultAttributes,
    // A provider on this machine over http, outside production only.
    allowInsecureRequests: local,
    onError: (e) => logger.warn({ err: e }, 'login failed'),
    renderPage: renderClientPage,
  });
  const upstream = new RemoteIssuer({
    issuer: issuerFromDiscovery(discovery) ?? discovery,
    audience: settings.clientId!,
    allowInsecureRequests: local,
  });
  return { router, upstream, users, sessions, home: clientHome(CLIENT_BASE_PATH), stop: () => sessions.close() };
}
