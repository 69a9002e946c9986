import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';

/** What every resolver receives. Built per request by the Express edge. */
export interface GraphQLContext {
  settings: Settings;
  logger: Logger;
  requestId: string;
  /** The request's own entity manager (a MikroORM request context). */
  em: EntityManager;
}
