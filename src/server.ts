/**
 * Running the service: open the database (embedded or `DATABASE_URL`), migrate, listen, and on
 * stop: refuse new connections, let in-flight requests finish within a grace period, close the
 * pool, release the embedded cluster.
 */
import { metadataClientSweep } from './provider/registration/client-id-metadata.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, pageBrand } from './app.js';
import type { Settings } from './config/load.js';
import { openDatabase, type Database } from './db/database.js';
import type { Clock } from './clock.js';
import { ClientRegistry } from './clients/client-registry.js';
import { systemClock } from './clock.js';
import { startKeyManager, type KeyManager } from './keys/index.js';
import type { FamilyStatus } from './keys/key-manager.js';
import { createProviderContext, type ProviderContext } from './provider/context.js';
import { Housekeeping } from './db/housekeeping.js';
import { PROVIDER_EXPIRING_TABLES } from './provider/stores/expiring-tables.js';
import { CLIENT_EXPIRING_TABLES, createClientMode, type ClientMode } from './client/mode.js';
import { FAKE_CLAIMS, fakeOriginPolicy, seedFakeClient } from './fake/client.js';
import { fakeLogin } from './fake/login.js';
import type { Logger } from './log.js';
import { bothSinks, withAuditSink } from './audit.js';
import { FirstAdminSetup, SETUP_PATH } from './interaction/first-admin.js';
import { hasAdministrator } from './users/first-admin.js';
import { databaseAuditStream } from './audit-store.js';
import { removeAccountClient, removeConsoleClient, seedAccountClient, seedConsoleClient } from './console/client.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import type { Metrics } from './metrics.js';
import { listenMetrics, type MetricsListener } from './http/metrics.js';
import { poolStats } from './db/pool-stats.js';

export interface StartServerOptions {
  settings: Settings;
  logger: Logger;
  stopGracePeriodMillis?: number;
  clock?: Clock;
  /** Where what an operator must read at start goes (the first-run setup code): default stderr. */
  terminal?: NodeJS.WritableStream;
  /** provider mode with ADMIN_CONSOLE or ACCOUNT_PAGE: the build of the browser pages (default dist/console; tests give their own). */
  consoleDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  settings: Settings;
  db: Database;
  /** provider and fake modes: the signing keys. */
  keys?: KeyManager;
  /** provider and fake modes: everything the endpoints use. */
  provider?: ProviderContext;
  /** The deletion of expired rows. */
  housekeeping?: Housekeeping;
  /** provider and fake modes: the service's mail (also `provider.mailer`). */
  mailer?: Mailer;
  /** provider mode, when it started without an administrator: the code /admin/setup asks of remote browsers. */
  setupCode?: string;
  /** With JWT_OIDC_METRICS_PORT: the Prometheus endpoint's URL. */
  metricsUrl?: string;
  /** Graceful stop; idempotent. */
  stop(): Promise<void>;
  /**
   * Cuts a stop short (now or once it begins): open connections are closed at once instead of
   * at the end of the grace period; the rest, down to releasing the database, still happens.
   */
  hurry(): void;
}

export async function startServer({ settings: given, logger: baseLogger, stopGracePeriodMillis, clock, terminal = process.stderr, consoleDir }: StartServerOptions): Promise<RunningServer> {
  // A copy: with PORT=0 the default issuer is only known after listening.
  const settings: Settings = { ...given };
  const db = await openDatabase(settings, baseLogger);
  // provider and fake modes: every audit event of this instance also goes to the live stream of
  // all instances (GraphQL subscription auditEvents), through the database.
  const auditStream = databaseAuditStream(settings, db, baseLogger);
  let keys: KeyManager | undefined;
  let provider: ProviderContext | undefined;
  // Off unless JWT_OIDC_METRICS_PORT is set, and prom-client is not even loaded then (it brings
  // @opentelemetry/api along); its counters follow the audit events.
  const metrics =
    settings.metricsPort === undefined
      ? undefined
      : new (await import('./metrics.js')).Metrics({
          now: () => (clock ?? systemClock).now(),
          keys: () => (keys?.status() ?? []).map((f) => ({ family: f.family, activatedAt: activeSince(f), nextRotationAt: f.nextRotationAt === null ? null : Date.parse(f.nextRotationAt) })),
          liveSessions: async () => provider?.sessions.countLive(),
          pool: () => poolStats(db.orm),
        });
  const sink = metrics ? bothSinks(auditStream?.sink, metrics.auditSink) : auditStream?.sink;
  const logger = sink ? withAuditSink(baseLogger, sink) : baseLogger;
  const httpServer = createServer();
  let app;
  let metricsListener: MetricsListener | undefined;
  let clients: ClientRegistry | undefined;
  let housekeeping: Housekeeping | undefined;
  let clientMode: ClientMode | undefined;
  let setup: FirstAdminSetup | undefined;
  let mailer: Mailer | undefined;
  try {
    // PORT=0 picks a free port; the default issuer names it, so listen before building the app
    // (nobody can reach a port that has not been announced yet).
    if (settings.port === 0) {
      const port = await listen(httpServer, 0, settings.host);
      if ((settings.type === 'provider' || settings.type === 'fake') && given.issuer === 'http://localhost:0') settings.issuer = `http://localhost:${port}`;
    }
    // The fake mode is the provider with its own login step, one client from the settings and
    // the typed claims (docs/ARCHITECTURE.md "The fake mode").
    const fake = settings.type === 'fake';
    if (fake) {
      warnFake(settings, logger);
      // Nobody signs in elsewhere: the fake's own page is its login step.
      settings.loginUrl = undefined;
    }
    if (settings.type === 'provider' || fake) {
      keys = await startKeyManager({ settings, db, logger, clock });
      if (fake) await seedFakeClient(db.orm, settings);
      else {
        // The service's own clients come and go with their pages (docs/ARCHITECTURE.md "The browser pages").
        await (settings.adminConsole ? seedConsoleClient(db.orm, settings.issuer!) : removeConsoleClient(db.orm));
        await (settings.accountPage ? seedAccountClient(db.orm, settings.issuer!) : removeAccountClient(db.orm));
      }
      clients = new ClientRegistry({ orm: db.orm, logger, listenUrl: db.url, cacheSize: settings.clientCacheSize, clock: clock ?? systemClock, originPolicy: fake ? fakeOriginPolicy(settings) : undefined });
      await clients.start();
      // After the issuer is known (PORT=0): the default sender and the Message-IDs name its host.
      mailer = createMailer({ settings, logger, productName: pageBrand(settings, settings.issuer).name });
      provider = await createProviderContext({ settings, issuer: settings.issuer!, clock: clock ?? systemClock, logger, orm: db.orm, keys, clients, mailer, claims: fake ? FAKE_CLAIMS : undefined });
      housekeeping = new Housekeeping({ orm: db.orm, clock: clock ?? systemClock, logger, tables: PROVIDER_EXPIRING_TABLES, onDeleted: metrics && ((d) => metrics.housekeepingSwept(d)), sweeps: [metadataClientSweep({ orm: db.orm, grants: provider.grants, consents: provider.consents, pushedRequests: provider.pushedRequests, devices: provider.devices })] });
      housekeeping.start();
    }
    if (settings.type === 'client') {
      if (settings.port === 0 && settings.publicUrl === undefined) settings.publicUrl = `http://localhost:${(httpServer.address() as AddressInfo).port}`;
      clientMode = createClientMode(settings, db, logger);
      housekeeping = new Housekeeping({ orm: db.orm, clock: clock ?? systemClock, logger, tables: CLIENT_EXPIRING_TABLES, onDeleted: metrics && ((d) => metrics.housekeepingSwept(d)) });
      housekeeping.start();
    }
    // First run: nobody administers this provider yet (docs: README "Quickstart").
    if (provider && settings.type === 'provider' && settings.adminConsole && !(await hasAdministrator(db.orm))) setup = new FirstAdminSetup(provider.clock);
    app = await createApp({ settings, db, logger, stopGracePeriodMillis, provider, login: fake ? fakeLogin : undefined, clientMode, httpServer, auditStream, setup, consoleDir, metrics });
    if (settings.port !== 0) await listen(httpServer, settings.port, settings.host);
    if (metrics && settings.metricsPort !== undefined) metricsListener = await listenMetrics(metrics, settings.metricsPort, settings.metricsHost);
  } catch (e) {
    httpServer.close();
    await metricsListener?.close();
    await app?.stop().catch(() => undefined);
    await mailer?.stop();
    await housekeeping?.stop();
    await keys?.stop();
    await clients?.stop();
    await clientMode?.stop();
    await auditStream?.stop();
    await db.close();
    throw e;
  }
  const { port } = httpServer.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, mode: settings.type, issuer: settings.issuer, database: db.kind }, 'jwt-oidc listening');
  if (setup) announceSetup(settings, setup, logger, terminal);

  let stopped: Promise<void> | undefined;
  let stopBegun = false;
  let hurried = false;
  // Stop accepting and drop every connection, busy or not; the drain then has nothing to wait for.
  const cutConnections = () => {
    if (!hurried || !stopBegun) return;
    if (httpServer.listening) httpServer.close();
    httpServer.closeAllConnections();
  };
  return {
    url,
    port,
    settings,
    db,
    keys,
    provider,
    housekeeping,
    mailer,
    setupCode: setup?.code,
    metricsUrl: metricsListener?.url,
    stop: () =>
      (stopped ??= (async () => {
        logger.info('shutting down');
        stopBegun = true;
        const httpStopped = app.stop();
        cutConnections();
        await httpStopped.catch((e) => logger.error({ err: e }, 'stopping the HTTP server failed'));
        await metricsListener?.close();
        // No request queues mail any more; what is in flight gets a few seconds (bounded).
        await mailer?.stop();
        await housekeeping?.stop();
        await keys?.stop();
        await clients?.stop();
        await clientMode?.stop();
        await auditStream?.stop();
        await db.close();
        logger.info('stopped');
      })()),
    hurry: () => {
      hurried = true;
      cutConnections();
    },
  };
}

/**
 * Where to create the first administrator, and the setup code a browser elsewhere needs: on the
 * terminal (stderr) only, never in the structured log, which is often shipped elsewhere.
 */
function announceSetup(settings: Settings, setup: FirstAdminSetup, logger: Logger, terminal: NodeJS.WritableStream): void {
  const url = `${settings.issuer!.replace(/\/$/, '')}${SETUP_PATH}`;
  terminal.write(`\nNo administrator yet. Create the first one in a browser: ${url}\n  (setup code ${setup.code}; not asked on this machine)\n\n`);
  logger.warn({ event: 'setup.open', url }, 'no administrator yet: the first one can be created at /admin/setup (the setup code is on the terminal)');
}

/** Loud, on purpose: the fake provider signs anyone in as anyone. */
function warnFake(settings: Settings, logger: Logger): void {
  const line = '!'.repeat(78);
  const text = [line, '!!  FAKE PROVIDER: anyone can sign in as anyone. For local development only.', `!!  Issuer ${settings.issuer}, client ${settings.clientId}.${settings.production ? ' NODE_ENV=production was allowed by JWT_OIDC_FAKE_ALLOW_PRODUCTION.' : ''}`, line].join('\n');
  process.stderr.write(`${text}\n`);
  logger.warn({ event: 'fake.start', issuer: settings.issuer, production: settings.production }, 'the fake provider is running: anyone can sign in as anyone; never expose it');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** When the active key of a family took over (ms), for its age. */
function activeSince(family: FamilyStatus): number | null {
  const active = family.keys.find((k) => k.kid === family.activeKid);
  return active ? Date.parse(active.activatesAt) : null;
}
