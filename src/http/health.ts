/**
 * Liveness and readiness for orchestrators: `/healthz` says the process runs, `/readyz` that it
 * can serve (the database answers). A not-ready answer carries `Retry-After`.
 */
import { Router } from 'express';
import { DATABASE_RETRY_AFTER } from '../db/unavailable.js';

export interface HealthOptions {
  /** Whether the database answers; never throws. */
  databaseReady: () => Promise<boolean>;
  /** Set while shutting down: readiness fails so load balancers stop sending traffic. */
  stopping: () => boolean;
}

export function healthRouter({ databaseReady, stopping }: HealthOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    const database = stopping() ? false : await databaseReady();
    if (database) {
      res.json({ status: 'ready', checks: { database: 'ok' } });
    } else {
      res.status(503).set('Retry-After', String(DATABASE_RETRY_AFTER)).json({ status: 'unavailable', checks: { database: stopping() ? 'stopping' : 'unavailable' } });
    }
  });
  return router;
}
