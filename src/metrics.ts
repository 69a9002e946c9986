/**
 * The service's Prometheus metrics: one registry per running instance (tests start several in a
 * process). Nothing else imports prom-client: the counters are fed from the audit events
 * (src/audit.ts, through an audit sink), the request timer from src/http/metrics.ts, and the
 * gauges are read from the key manager, the session store and the pool at scrape time.
 * Naming follows the Prometheus conventions (base units, `_total` counters). Labels never hold a
 * user id, a secret or an unbounded value: a client is named only when it is registered, never
 * by a client ID metadata document URL (docs/SECURITY.md).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditRecord, AuditSink } from './audit.js';

export interface MetricsSources {
  /** Signing key families: when the active key took over and when the next one will (ms). */
  keys?: () => { family: string; activatedAt: number | null; nextRotationAt: number | null }[];
  /** How many sessions are live (a database count; cached, see SESSION_CACHE_MS); undefined: no provider sessions here. */
  liveSessions?: () => Promise<number | undefined>;
  /** The database pool: connections in use and requests waiting for one. */
  pool?: () => { used: number; pending: number } | undefined;
  /** Now, in ms (the injected clock, so key ages follow it). */
  now: () => number;
}

/** At most this many clients are named in `jwt_oidc_tokens_issued_total`; the rest are `other`. */
export const MAX_CLIENT_LABELS = 200;

/** A scrape reads the live sessions from the database at most this often. */
export const SESSION_CACHE_MS = 5_000;

/** Reasons are OAuth error codes (RFC 6749 §5.2): anything else is counted as `other`. */
const REASON = /^[a-z_]{1,40}$/;

export class Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly tokensIssued: Counter<'grant_type' | 'client'>;
  private readonly refusals: Counter<'endpoint' | 'reason'>;
  private readonly logins: Counter<'outcome'>;
  private readonly swept: Counter<'table'>;
  private sessionsCache: { at: number; value: number | undefined } | undefined;

  constructor(
    private readonly sources: MetricsSources,
    /** Whether a client id may be a label value: only registered clients (a bounded set). */
    private readonly clientLabel: (clientId: string) => string = defaultClientLabel,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'jwt_oidc_http_request_duration_seconds',
      help: 'HTTP requests by route pattern and status, in seconds.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.tokensIssued = new Counter({ name: 'jwt_oidc_tokens_issued_total', help: 'Successful token endpoint responses by grant type and client.', labelNames: ['grant_type', 'client'], registers });
    this.refusals = new Counter({ name: 'jwt_oidc_refusals_total', help: 'Refused requests by endpoint and reason (the OAuth error code).', labelNames: ['endpoint', 'reason'], registers });
    this.logins = new Counter({ name: 'jwt_oidc_logins_total', help: 'Sign-in attempts by outcome (success, failure, throttled, refused).', labelNames: ['outcome'], registers });
    this.swept = new Counter({ name: 'jwt_oidc_housekeeping_rows_deleted_total', help: 'Rows deleted by housekeeping, by table or sweep.', labelNames: ['table'], registers });
    const self = this;
    new Gauge({
      name: 'jwt_oidc_sessions_active',
      help: `Live sign-in sessions (read from the database at most every ${SESSION_CACHE_MS / 1000} s).`,
      registers,
      async collect() {
        if (!sources.liveSessions) return;
        const now = sources.now();
        if (!self.sessionsCache || now - self.sessionsCache.at >= SESSION_CACHE_MS) {
          try {
            self.sessionsCache = { at: now, value: await sources.liveSessions() };
          } catch {
            // The database is away: the last value stays (the health endpoint says why).
            if (!self.sessionsCache) return;
          }
        }
        if (self.sessionsCache.value !== undefined) this.set(self.sessionsCache.value);
      },
    });
    new Gauge({
      name: 'jwt_oidc_signing_key_age_seconds',
      help: 'Since the active signing key of each family took over, in seconds.',
      labelNames: ['family'],
      registers,
      collect() {
        this.reset();
        for (const f of sources.keys?.() ?? []) if (f.activatedAt !== null) this.set({ family: f.family }, Math.max(0, sources.now() - f.activatedAt) / 1000);
      },
    });
    new Gauge({
      name: 'jwt_oidc_signing_key_next_rotation_seconds',
      help: 'Until the next signing key of each family takes over, in seconds.',
      labelNames: ['family'],
      registers,
      collect() {
        this.reset();
        for (const f of sources.keys?.() ?? []) if (f.nextRotationAt !== null) this.set({ family: f.family }, Math.max(0, f.nextRotationAt - sources.now()) / 1000);
      },
    });
    new Gauge({
      name: 'jwt_oidc_db_pool_connections_in_use',
      help: 'Database connections lent out by the pool.',
      registers,
      collect() {
        const p = sources.pool?.();
        if (p) this.set(p.used);
      },
    });
    new Gauge({
      name: 'jwt_oidc_db_pool_requests_waiting',
      help: 'Requests waiting for a database connection.',
      registers,
      collect() {
        const p = sources.pool?.();
        if (p) this.set(p.pending);
      },
    });
  }

  /**
   * A client's own label while fewer than MAX_CLIENT_LABELS have one, `other` after: with open
   * dynamic registration (RFC 7591) anyone can add clients, and every label value is a series
   * kept in memory for the life of the process.
   */
  private boundedClient(value: string): string {
    if (this.clientLabels.has(value)) return value;
    if (this.clientLabels.size >= MAX_CLIENT_LABELS) return 'other';
    this.clientLabels.add(value);
    return value;
  }
  private readonly clientLabels = new Set<string>();

  /** The audit events that are counted (src/audit-events.ts). */
  readonly auditSink: AuditSink = (record: AuditRecord) => {
    const [area, what] = record.event.split('.') as [string, string];
    if (record.event === 'token.issued') {
      this.tokensIssued.inc({ grant_type: label(record.grantType), client: typeof record.client === 'string' ? this.boundedClient(this.clientLabel(record.client)) : 'none' });
    } else if (area === 'login' && what !== 'delegated') {
      this.logins.inc({ outcome: what });
    }
    if (record.outcome === 'refused' && area !== 'login') {
      this.refusals.inc({ endpoint: area, reason: typeof record.error === 'string' && REASON.test(record.error) ? record.error : what });
    }
  };

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status: String(status) }, seconds);
  }

  housekeepingSwept(deleted: Record<string, number>): void {
    for (const [table, n] of Object.entries(deleted)) this.swept.inc({ table }, n);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function label(value: unknown): string {
  return typeof value === 'string' && REASON.test(value.replace(/[:-]/g, '_').slice(-40)) ? value : 'other';
}

/**
 * A client ID metadata document's id is an https URL anyone can mint (unbounded): such clients
 * share one label.
 */
function defaultClientLabel(clientId: string): string {
  return /^https?:\/\//i.test(clientId) ? 'metadata_document' : clientId.slice(0, 100);
}
