/**
 * The Express application of a mode: health, security headers, request ids and logs, GraphQL,
 * and (in later parts) the protocol routers. Everything is composed here; the pieces know
 * nothing of each other.
 */
import { DPOP_SIGNING_ALGS } from './provider/dpop.js';
import { createServer, type Server } from 'node:http';
import { expressMiddleware } from '@as-integrations/express5';
import { RequestContext } from '@mikro-orm/postgresql';
import express, { type Express } from 'express';
import type { Settings } from './config/load.js';
import type { Database } from './db/database.js';
import { createApollo } from './graphql/apollo.js';
import { systemClock } from './clock.js';
import { authenticate } from './graphql/auth.js';
import type { GraphQLContext } from './graphql/context.js';
import { graphqlSchema, withoutSubscriptions } from './graphql/schema.js';
import { errorHandler, notFound } from './http/errors.js';
import { healthRouter } from './http/health.js';
import { requestLog } from './http/request-log.js';
import { requestMetrics } from './http/metrics.js';
import type { Metrics } from './metrics.js';
import { securityHeaders } from './http/security-headers.js';
import { graphiqlHandler } from './http/graphiql.js';
import type { Logger } from './log.js';
import type { ProviderContext } from './provider/context.js';
import type { ClientMode } from './client/mode.js';
import { upstreamCaller, type RelyingPartySession } from './graphql/upstream-caller.js';
import { serviceUnavailable } from './graphql/errors.js';
import { isDatabaseUnavailable } from './db/unavailable.js';
import type { LoginStep } from './interaction/handlers.js';
import { authorizationServerMetadataRouter, documentPaths, formPaths, issuerPath, providerDocuments, providerRouter } from './http/provider-router.js';
import { fastLane } from './http/fast-lane.js';
import { formLane } from './http/form-lane.js';
import { pageContext, type Brand } from './interaction/views/layout.js';
import { withCors } from './http/endpoint.js';
import { protectedResourceMetadata } from '@jwt-oidc/express';
import { ADMIN_SCOPE, PROVIDER_SCOPES } from './provider/authorization/scopes.js';
import type { AuditStream } from './audit-stream.js';
import type { FirstAdminSetup } from './interaction/first-admin.js';
import { serveSubscriptions } from './graphql/subscription-server.js';
import { accountPageRouter, consoleRouter } from './http/console.js';
import { namedRoute, recordRoutes } from './telemetry/hooks.js';

export interface AppOptions {
  settings: Settings;
  db: Database;
  logger: Logger;
  /** Grace period for in-flight requests on shutdown (default 10 s). */
  stopGracePeriodMillis?: number;
  /** provider and fake modes: the provider's endpoints and their dependencies. */
  provider?: ProviderContext;
  /** How users sign in at the provider (default: the password form; the fake mode: anyone). */
  login?: LoginStep;
  /** client mode: the relying party's routes, sessions and users. */
  clientMode?: ClientMode;
  /** The server to answer on (default: a new one); the app becomes its request handler. */
  httpServer?: Server;
  /** provider and fake modes: the live audit events, served as the subscription `auditEvents` over WebSocket. */
  auditStream?: AuditStream;
  /** provider mode, while no administrator exists: the first-run page /admin/setup. */
  setup?: FirstAdminSetup;
  /** provider mode with ADMIN_CONSOLE or ACCOUNT_PAGE: the build directory of the browser pages (default dist/console). */
  consoleDir?: string;
  /** With JWT_OIDC_METRICS_PORT: where the request timings go. */
  metrics?: Metrics;
}

export interface App {
  app: Express;
  httpServer: Server;
  /** Stops accepting, lets in-flight requests finish (bounded), stops GraphQL. */
  stop(): Promise<void>;
}

/** Largest accepted JSON body: far above any legitimate query (docs/SECURITY.md GQ-07). */
export const JSON_BODY_LIMIT = '100kb';

export async function createApp({ settings, db, logger, stopGracePeriodMillis, provider, login, clientMode, httpServer = createServer(), auditStream, setup, consoleDir, metrics }: AppOptions): Promise<App> {
  const app = express();
  const documents = provider ? providerDocuments(provider) : undefined;
  const prefix = provider ? issuerPath(provider.issuer) : '';
  const fast = provider && documents ? fastLane(documentPaths(provider.issuer, documents), logger, metrics && ((...a) => metrics.observeRequest(...a))) : undefined;
  // The token endpoint too: the same pieces as its route, without the walk through the stack.
  const forms = provider ? formLane({ app, routes: formPaths(provider), logger, metrics }) : undefined;
  httpServer.on('request', fast && forms ? (req, res) => fast(req, res) || forms(req, res) || app(req, res) : app);
  let stopping = false;

  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  if (settings.trustProxy !== undefined) app.set('trust proxy', /^\d+$/.test(settings.trustProxy) ? Number(settings.trustProxy) : settings.trustProxy);
  if (metrics) app.use(requestMetrics(metrics));
  app.use(requestLog(logger));
  app.use(recordRoutes);
  const brand = pageBrand(settings, provider?.issuer);
  // Every page rendered for this request shows the brand, and its id on error pages.
  app.use((req, _res, next) => pageContext.run({ brand, requestId: req.id }, next));
  app.use(securityHeaders());
  app.use(healthRouter({ databaseReady: () => db.ping(), stopping: () => stopping }));

  if (provider && documents) app.use(authorizationServerMetadataRouter(provider, documents));
  if (provider) app.use(prefix || '/', providerRouter(provider, documents, login, setup));
  // The admin console, after the provider router, which serves its first-run page /admin/setup.
  if (provider && settings.type === 'provider' && settings.adminConsole) {
    app.use(`${prefix}/admin`, consoleRouter({ issuer: provider.issuer, brand, setupOpen: setup && (() => setup.open(provider)), files: consoleDir }));
  }
  // The account page, after the provider router too, which keeps the server-rendered pages under
  // /account (registration, password reset…): only /account, /account/ and the callback are the page's.
  if (provider && settings.type === 'provider' && settings.accountPage) {
    app.use(`${prefix}/account`, accountPageRouter({ issuer: provider.issuer, brand, files: consoleDir }));
  }
  // RFC 9728: where a client that meets a 401 at /graphql learns who issues its tokens (the
  // challenges name this document: resource_metadata, §5.1). The issuer is checked by the settings.
  const graphqlMetadata = provider
    ? protectedResourceMetadata({ resource: new URL('/graphql', provider.issuer).href, authorizationServers: [provider.issuer], scopesSupported: [...PROVIDER_SCOPES, ADMIN_SCOPE], resourceName: `${brand.name} GraphQL API`, dpopSigningAlgValuesSupported: DPOP_SIGNING_ALGS, allowHttp: true })
    : undefined;
  if (graphqlMetadata) app.use(graphqlMetadata);
  // client mode: /openid/login, /callback, /logout, and the session of every later route.
  if (clientMode) app.use(clientMode.router);
  // Who calls /graphql in client mode: the upstream's bearer tokens, or the session.
  const callers = clientMode;

  const introspection = settings.graphqlIntrospection ?? !settings.production;
  const schema = await graphqlSchema();
  const apollo = createApollo({ schema: withoutSubscriptions(schema), httpServer, introspection, stopGracePeriodMillis, rateLimit: settings.graphqlRateLimit, clock: provider?.clock ?? systemClock });
  await apollo.start();
  // Subscriptions at /graphql over WebSocket: provider and fake modes, with their own tokens.
  const subscriptions = provider && auditStream ? serveSubscriptions({ httpServer, schema, settings, db, logger, provider, auditStream }) : undefined;
  // GraphiQL for browsers, with introspection (development): before the GraphQL handler.
  if (introspection) app.use('/graphql', graphiqlHandler());
  app.use(
    '/graphql',
    namedRoute('/graphql'),
    withCors({ isAllowed: async (o) => (await provider?.clients.isAllowedOrigin(o)) ?? false, methods: 'GET, POST', headers: 'Authorization, Content-Type, DPoP, Apollo-Require-Preflight' }),
    express.json({ limit: JSON_BODY_LIMIT }),
    // With JWT_OIDC_DPOP_NONCE=required every answer hands out the current nonce (RFC 9449 §9).
    (_req, res, next) => {
      for (const [name, value] of Object.entries(provider?.dpop.headers() ?? {})) res.setHeader(name, value);
      next();
    },
    (_req, _res, next) => RequestContext.create(db.orm.em, next),
    expressMiddleware<GraphQLContext>(apollo, {
      context: async ({ req }) => buildContext(req).catch((e: unknown) => {
        throw isDatabaseUnavailable(e) ? serviceUnavailable() : e;
      }),
    }),
  );

  async function buildContext(req: express.Request): Promise<GraphQLContext> {
    const request = { method: req.method, header: (n: string) => req.get(n), query: req.query as Record<string, unknown> };
    return {
      settings,
      logger: req.log,
      requestId: req.id,
      ip: req.ip ?? 'unknown',
      em: (RequestContext.getEntityManager() ?? db.orm.em.fork()) as GraphQLContext['em'],
      auth: callers ? null : await authenticate(request, provider, provider?.issuer ?? 'jwt-oidc', graphqlMetadata?.url, provider ? new URL('/graphql', provider.issuer).href : undefined),
      provider,
      auditStream,
      ...(callers ? { upstream: await upstreamCaller({ ...request, session: () => relyingPartySession(req) }, callers, settings) } : {}),
    };
  }

  /** client mode: the session that the oidcClient router (mounted above) put on the request. */
  async function relyingPartySession(req: express.Request): Promise<RelyingPartySession | null> {
    if (!req.oidc.loggedIn) return null;
    // An expired access token is refreshed now: a provider that refuses ends the session here.
    await req.getAccessToken().catch(() => undefined); // provider unreachable: the session still says who
    if (!req.oidc.loggedIn || !req.userClaims) return null;
    return { claims: req.userClaims, scope: req.oidc.scope, userinfo: req.userinfo ?? null, user: req.user ?? null };
  }

  // client mode: a placeholder at / (the default return after login and logout) if nothing served it.
  if (clientMode) app.get('/', clientMode.home);
  app.use(notFound);
  app.use(errorHandler);

  return {
    app,
    httpServer,
    async stop() {
      stopping = true;
      await subscriptions?.stop(); // open sockets are told 1001 "Going away"
      await apollo.stop(); // the drain plugin closes the HTTP server first
    },
  };
}

/** JWT_OIDC_PRODUCT_NAME and JWT_OIDC_LOGO_URL; without a name, the host the users see. */
export function pageBrand(settings: Settings, issuer: string | undefined): Brand {
  const publicUrl = issuer ?? settings.publicUrl ?? `http://localhost:${settings.port}`;
  return { name: settings.productName ?? new URL(publicUrl).host, ...(settings.logoUrl ? { logoUrl: settings.logoUrl } : {}) };
}
