import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import type { ProviderAccessToken } from '../provider/access-token.js';
import type { ProviderContext } from '../provider/context.js';
import type { UpstreamCaller } from './upstream-caller.js';
import type { AuditStream } from '../audit-stream.js';

/** The caller, from a verified bearer token; null for an anonymous request. */
export interface Auth extends ProviderAccessToken {
  /** The token has the `admin` scope and its holder (the user, or the client) is still an admin. */
  isAdmin: boolean;
}

/** What every resolver receives. Built per request by the Express edge. */
export interface GraphQLContext {
  settings: Settings;
  logger: Logger;
  requestId: string;
  /** The client address (rate limiting of anonymous callers). */
  ip: string;
  /** The request's own entity manager (a MikroORM request context). */
  em: EntityManager;
  auth: Auth | null;
  /** provider mode: the provider's stores, keys and clients. */
  provider?: ProviderContext;
  /** provider and fake modes: the audit events of every instance, live (subscription `auditEvents`). */
  auditStream?: AuditStream;
  /** client mode: the caller, from the session cookie or an upstream bearer token (`auth` stays null). */
  upstream?: UpstreamCaller | null;
}
