/**
 * The live stream of audit events, for operators (the GraphQL subscription `auditEvents`), and
 * their keeping for the `auditEvents` query (`store`, the `audit_events` table): every instance publishes its audit events through PostgreSQL
 * `NOTIFY` on one channel, and an instance with watchers `LISTEN`s there, so a watcher connected
 * to any instance sees the events of all. The stream is for watching, not the record: the log is
 * the audit trail. An event can be missed by a watcher (its instance's listening connection
 * dropped, the watcher fell behind, the database was unreachable), never altered.
 *
 *   - Publishing never blocks the request that caused the event: events are queued and sent in
 *     batches, each notification under PostgreSQL's 8000-byte payload limit (NOTIFY docs).
 *   - Fields named like secrets are dropped (src/log.ts SECRET_FIELDS), as the log censors them.
 *   - Listening starts with the first watcher of an instance and ends with its last: an instance
 *     nobody watches holds no extra connection.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ChangeListener } from './db/change-listener.js';
import type { AuditEvent, AuditRecord, AuditSink } from './audit.js';
import { SECRET_FIELDS, type Logger } from './log.js';

export const AUDIT_CHANNEL = 'jwt_oidc_audit';

/** One event as watchers receive it. */
export interface StreamedAuditEvent {
  /** Unique per event. */
  id: string;
  /** When it happened, ms since the epoch. */
  time: number;
  event: AuditEvent;
  outcome: string;
  actor?: string;
  client?: string;
  ip?: string;
  message: string;
  /** The instance that recorded it: host name and a random id per start. */
  instance: string;
  /** Its other fields, as in the log record. */
  details: Record<string, unknown>;
}

export interface AuditStreamOptions {
  /** The database to LISTEN on (a dedicated connection, while someone watches). */
  url: string;
  /** Sends one notification on AUDIT_CHANNEL (`select pg_notify($1, $2)`). */
  notify(channel: string, payload: string): Promise<void>;
  /** Keeps a batch of events for the `auditEvents` query (default: not kept). */
  store?(events: readonly StreamedAuditEvent[]): Promise<void>;
  logger: Logger;
  /** How long events gather before they are sent, ms (default 20). */
  batchMillis?: number;
  /** Events queued for sending, at most; beyond, they are dropped and counted (default 1000). */
  maxQueued?: number;
  /** Events waiting for a watcher that reads too slowly, at most; beyond, its stream ends (default 1000). */
  maxBacklog?: number;
}

/** Below PostgreSQL's limit of 8000 bytes per payload, with room to spare. */
const MAX_PAYLOAD = 7500;

interface Watcher {
  types: ReadonlySet<string> | undefined;
  push(event: StreamedAuditEvent): void;
  end(): void;
}

export class AuditStream {
  readonly instance = `${hostname()}/${randomUUID().slice(0, 8)}`;
  private queue: StreamedAuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private dropped = 0;
  private readonly watchers = new Set<Watcher>();
  private listener: { listener: ChangeListener; started: Promise<void> } | undefined;
  private stopped = false;

  constructor(private readonly options: AuditStreamOptions) {}

  /** For `withAuditSink` (src/audit.ts): every audit event of this instance. */
  readonly sink: AuditSink = (record) => this.publish(record);

  private publish(record: AuditRecord): void {
    if (this.stopped) return;
    if (this.queue.length >= (this.options.maxQueued ?? 1000)) {
      this.dropped++;
      return;
    }
    this.queue.push(streamed(record, this.instance));
    this.timer ??= setTimeout(() => void this.flush(), this.options.batchMillis ?? 20);
  }

  /** Sends what is queued, in order, in notifications under the payload limit. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const dropped = this.dropped;
    this.dropped = 0;
    this.sending = this.sending.then(async () => {
      if (dropped > 0) this.options.logger.warn({ dropped }, 'audit stream: events dropped, the database could not take them fast enough');
      if (batch.length === 0) return;
      // Kept first: a watcher told of an event finds it in the query too.
      await this.options.store?.(batch).catch((e: unknown) => this.options.logger.warn({ err: e, events: batch.length }, 'audit stream: events not stored'));
      for (const payload of payloads(batch)) {
        await this.options.notify(AUDIT_CHANNEL, payload).catch((e: unknown) => this.options.logger.warn({ err: e }, 'audit stream: events not published'));
      }
    });
    return this.sending;
  }

  /**
   * The events of every instance from now on, of `types` only when given, until `return()`.
   * Resolves once this instance listens, so nothing published after it resolves is missed.
   */
  async watch(types?: ReadonlySet<string>): Promise<AsyncIterableIterator<StreamedAuditEvent>> {
    const backlog: StreamedAuditEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let overflow = false;
    const maxBacklog = this.options.maxBacklog ?? 1000;
    const end = () => {
      if (ended) return;
      ended = true;
      this.watchers.delete(watcher);
      wake?.();
      if (this.watchers.size === 0) void this.unlisten();
    };
    const watcher: Watcher = {
      types,
      push(event) {
        if (ended) return;
        if (backlog.length >= maxBacklog) overflow = true;
        else backlog.push(event);
        wake?.();
      },
      end,
    };
    this.watchers.add(watcher);
    await this.listen();
    const iterator: AsyncIterableIterator<StreamedAuditEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      async next(): Promise<IteratorResult<StreamedAuditEvent>> {
        for (;;) {
          if (backlog.length > 0) return { value: backlog.shift()!, done: false };
          if (overflow) {
            end();
            throw new Error('the audit stream fell behind: subscribe again');
          }
          if (ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<StreamedAuditEvent>> {
        end();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Listening on a dedicated connection while this instance has watchers. */
  private listen(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.listener) {
      const listener: ChangeListener = new ChangeListener(this.options.url, AUDIT_CHANNEL, (payload) => this.listener?.listener === listener && this.deliver(payload), this.options.logger);
      this.listener = { listener, started: listener.start() };
    }
    return this.listener.started;
  }

  private async unlisten(): Promise<void> {
    const current = this.listener;
    this.listener = undefined;
    await current?.listener.stop();
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return; // a reconnect: what was missed is gone
    let events: StreamedAuditEvent[];
    try {
      events = JSON.parse(payload) as StreamedAuditEvent[];
      if (!Array.isArray(events)) return;
    } catch {
      return; // not ours
    }
    for (const event of events) {
      for (const w of this.watchers) if (!w.types || w.types.has(event.event)) w.push(event);
    }
  }

  /** Sends what is queued, ends every watcher's stream, and stops listening. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    for (const w of [...this.watchers]) w.end();
    await this.unlisten();
  }
}

function streamed(record: AuditRecord, instance: string): StreamedAuditEvent {
  const { time, event, message, outcome, actor, client, ip, audit: _, ...rest } = record as AuditRecord & { audit?: unknown };
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (!SECRET_FIELDS.has(key) && value !== undefined) details[key] = value;
  return { id: randomUUID(), time, event, outcome, actor, client, ip, message, instance, details };
}

/** JSON arrays of events, each under MAX_PAYLOAD bytes; an event too large alone loses its details. */
function* payloads(events: StreamedAuditEvent[]): Generator<string> {
  let chunk: string[] = [];
  let size = 2;
  for (const event of events) {
    let json = JSON.stringify(event);
    if (Buffer.byteLength(json) > MAX_PAYLOAD - 2) json = JSON.stringify({ ...event, details: { truncated: true } });
    const bytes = Buffer.byteLength(json) + 1;
    if (size + bytes > MAX_PAYLOAD && chunk.length > 0) {
      yield `[${chunk.join(',')}]`;
      chunk = [];
      size = 2;
    }
    chunk.push(json);
    size += bytes;
  }
  if (chunk.length > 0) yield `[${chunk.join(',')}]`;
}
