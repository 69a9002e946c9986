/**
 * Running the service: open the database (embedded or `DATABASE_URL`), migrate, listen, and on
 * stop: refuse new connections, let in-flight requests finish within a grace period, close the
 * pool, release the embedded cluster.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Settings } from './config/load.js';
import { openDatabase, type Database } from './db/database.js';
import type { Logger } from './log.js';

export interface StartServerOptions {
  settings: Settings;
  logger: Logger;
  stopGracePeriodMillis?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  settings: Settings;
  db: Database;
  /** Graceful stop; idempotent. */
  stop(): Promise<void>;
}

export async function startServer({ settings: given, logger, stopGracePeriodMillis }: StartServerOptions): Promise<RunningServer> {
  // A copy: with PORT=0 the default issuer is only known after listening.
  const settings: Settings = { ...given };
  const db = await openDatabase(settings, logger);
  let app;
  try {
    app = await createApp({ settings, db, logger, stopGracePeriodMillis });
    await new Promise<void>((resolve, reject) => {
      app!.httpServer.once('error', reject);
      app!.httpServer.listen(settings.port, settings.host, () => resolve());
    });
  } catch (e) {
    await app?.stop().catch(() => undefined);
    await db.close();
    throw e;
  }
  const { port } = app.httpServer.address() as AddressInfo;
  if (settings.type === 'provider' && settings.issuer === `http://localhost:${given.port}` && given.port === 0) {
    settings.issuer = `http://localhost:${port}`;
  }
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url, mode: settings.type, issuer: settings.issuer, database: db.kind }, 'jwt-oidc listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    settings,
    db,
    stop: () =>
      (stopped ??= (async () => {
        logger.info('shutting down');
        await app.stop().catch((e) => logger.error({ err: e }, 'stopping the HTTP server failed'));
        await db.close();
        logger.info('stopped');
      })()),
  };
}
