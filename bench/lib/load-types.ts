/** The jobs the load process (bench/load.ts) runs, and what it answers. */

/** An autocannon run against one server. */
export interface HttpJob {
  kind: 'http';
  /** Origin of the server. */
  url: string;
  method?: 'GET' | 'POST';
  /** Path, headers and body may hold `{{pool}}`: replaced per request by the pool's next value. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Values used one per request: `once` (codes: each one is single-use), `cycle` (tokens for a
   * cache that must miss), `feedback` (refresh tokens: every answer's `feedback` JSON field goes
   * back into the pool, since each rotation returns the next usable token).
   */
  pool?: { values: string[]; mode: 'once' | 'cycle' | 'feedback'; feedback?: string };
  /** Gather values from the answers (setup only): a JSON field, or a query parameter of `Location`. */
  collect?: { json?: string; locationParam?: string };
  connections: number;
  /** Run for this long, or until `amount` answers. */
  durationSec?: number;
  amount?: number;
  /** Server processes whose CPU time is read just before and just after the run. */
  pids: number[];
}

/**
 * GraphQL-over-WebSocket connections against one server (lib/ws.ts): each one upgrades, sends
 * `message` (its `connection_init`), waits for `connection_ack` and closes; `connections` of them
 * are open at any time. Anything but an ack is a refusal, counted as a non-2xx answer would be.
 */
export interface WsJob {
  kind: 'ws';
  /** ws:// URL of the GraphQL WebSocket endpoint. */
  url: string;
  /** May hold `{{pool}}`: replaced per connection by the pool's next value. */
  message: string;
  /** Values used one per connection, in a cycle (tokens for a cache that must miss). */
  pool?: { values: string[]; mode: 'cycle' };
  connections: number;
  /** Run for this long, or until `amount` connections. */
  durationSec?: number;
  amount?: number;
  /** Server processes whose CPU time is read just before and just after the run. */
  pids: number[];
}

/** Key rotation under load: fresh tokens from the provider, each verified at a resource server. */
export interface RotationJob {
  kind: 'rotation';
  providerUrl: string;
  /** `Basic …` of a client_credentials client. */
  authorization: string;
  /** POST `{ me }` with the token here; an answer other than 200 with `me` is a failed validation. */
  graphqlUrl: string;
  durationSec: number;
  concurrency: number;
}

/** Two provider instances on one database, used alternately by one client. */
export interface InstancesJob {
  kind: 'instances';
  instances: string[];
  /** The session cookie of a logged-in user (sessions live in the shared database). */
  cookie: string;
  clientId: string;
  authorization: string;
  redirectUri: string;
  pkce: { verifier: string; challenge: string };
  /** A resource server that verifies the access tokens too. */
  graphqlUrl: string;
  durationSec: number;
  concurrency: number;
}

export type LoadJob = HttpJob | WsJob | RotationJob | InstancesJob;

/**
 * The result of an HTTP run, and of a WebSocket run read the same way: a request is one
 * connection's handshake, `statusCodes` counts its outcomes (`ack`, `close 4401`, …), `non2xx`
 * its refusals and latency runs from the upgrade to the ack.
 */
export interface HttpResult {
  /** Answers received (any status). */
  requests: number;
  durationSec: number;
  rps: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** CPU ticks each measured process spent during the run, by pid. */
  cpuTicks: Record<number, number>;
  collected?: string[];
  /** Values of a `feedback` pool left at the end (for the next round). */
  leftover?: string[];
}

export interface FlowResult {
  /** Completed flows (rotation: token issued and verified; instances: the whole round trip). */
  flows: number;
  durationSec: number;
  /** Requests that did not give the expected answer. */
  errors: number;
  /** Rotation: tokens the resource server refused. */
  failedValidations: number;
  /** A few failures, for the report. */
  samples: string[];
  /** Rotation: distinct key ids seen in the tokens (proves the keys did rotate). */
  kids?: string[];
  requests: number;
}

export type LoadResult = HttpResult | FlowResult;
