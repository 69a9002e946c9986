/**
 * The service's mail: password resets, invitations and the like. A request hands a message
 * over and goes on; delivery happens in the background, a few at a time, with retries, so that
 * a slow or absent SMTP server never holds up a page.
 *
 * Three ways, decided by the settings:
 * - JWT_OIDC_SMTP_URL set: delivery over SMTP (src/mail/transport.ts), `delivers` true.
 * - unset outside production: each message goes to the log at info, its text included: the
 *   link in it is how a developer follows a password reset without a mail server.
 * - unset in production: nothing is sent; each message is logged (without its body) as an
 *   error and counted failed. Refusing to start a feature that needs mail is the settings'
 *   check (`mailConfigured`), not this module's.
 *
 * What the logs keep of a message: its kind, the recipient's domain, the Message-ID, and for a
 * failure nodemailer's error code (`errorCode`), the SMTP reply code and the error message with
 * addresses masked. Never the body, which holds links that are credentials, and never the full
 * address, which is personal data that the logs (often shipped elsewhere) do not need: the
 * domain is what tells a relay problem, and the caller's own audit event names the user.
 */
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { addressDomain, maskAddresses, parseMailbox } from './address.js';
import { composeMail, mailFrom, type Envelope, type MailMessage } from './message.js';
import { isPermanentFailure, smtpTransport, type MailTransport, type SendError } from './transport.js';
import type { SendMailOptions } from 'nodemailer';

export type { MailMessage } from './message.js';
export type { MailTransport } from './transport.js';
export { mailConfigured } from './smtp-url.js';

export interface MailStats {
  sent: number;
  /** Given up on: after the retries, at once for a permanent refusal, or on stop. */
  failed: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
}

export interface Mailer {
  /** Queues the message and returns at once: never throws, never waits for delivery (requests must not block on SMTP). */
  send(message: MailMessage): void;
  /** Resolves once everything queued so far was delivered or given up on (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops retrying, waits (bounded, `stopTimeoutMs`) for in-flight sends, closes the transport. */
  stop(): Promise<void>;
  /** Counters since start: sent, failed (given up after the retries), retried. */
  readonly stats: Readonly<MailStats>;
  /** true with an SMTP server; false when mails only go to the log (development without SMTP_URL). */
  readonly delivers: boolean;
}

export interface MailerOptions {
  settings: Settings;
  logger: Logger;
  /** The name people know the service by (JWT_OIDC_PRODUCT_NAME, or the issuer's host): subjects and the default sender. */
  productName: string;
  /** Delays between attempts; default [1 s, 5 s, 30 s, 2 min]: five attempts over about 2.5 minutes. */
  retryDelaysMs?: number[];
  /** How long `stop()` lets in-flight sends finish before aborting them (default 5 s). */
  stopTimeoutMs?: number;
  /** Instead of the transport of JWT_OIDC_SMTP_URL (tests). */
  transport?: MailTransport;
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000];
/** Sends at once: enough for bursts of password resets, few enough not to look like a flood to the relay. */
export const MAX_CONCURRENT_SENDS = 5;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;

export function createMailer(options: MailerOptions): Mailer {
  const { settings } = options;
  // The host people reach the service at: the issuer in provider and fake modes.
  const host = new URL(settings.issuer ?? settings.publicUrl ?? `http://localhost:${settings.port}`).hostname;
  const envelope: Envelope = { from: mailFrom(settings.mailFrom, options.productName, host), productName: options.productName, messageIdHost: host };
  if (options.transport) return new SmtpMailer(options, envelope, options.transport);
  if (settings.smtpUrl !== undefined) return new SmtpMailer(options, envelope, smtpTransport(settings.smtpUrl));
  return settings.production ? new UnconfiguredMailer(options.logger) : new LogMailer(options.logger, envelope);
}

/** The fields a log record keeps of a message: never its body, nor the full address. */
function described(message: MailMessage): { kind: string; toDomain: string } {
  const to = typeof message?.to === 'string' ? parseMailbox(message.to) : undefined;
  return { kind: String(message?.kind), toDomain: to ? addressDomain(to.address) : 'invalid' };
}

/**
 * An error as the logs keep it. nodemailer's `code` goes out as `errorCode`: the log censors
 * every field named `code` (src/log.ts: authorization codes).
 */
function describeError(e: unknown): { errorCode?: string; responseCode?: number; command?: string; message: string } {
  const error = (e ?? {}) as SendError;
  return {
    ...(typeof error.code === 'string' ? { errorCode: error.code } : {}),
    ...(typeof error.responseCode === 'number' ? { responseCode: error.responseCode } : {}),
    ...(typeof error.command === 'string' ? { command: maskAddresses(error.command) } : {}),
    message: maskAddresses(String(error.message ?? e)),
  };
}

const resolved = Promise.resolve();

/** Development without SMTP: the message, link included, in the log. */
class LogMailer implements Mailer {
  readonly delivers = false;
  readonly stats: MailStats = { sent: 0, failed: 0, retried: 0 };

  constructor(
    private readonly logger: Logger,
    private readonly envelope: Envelope,
  ) {}

  send(message: MailMessage): void {
    try {
      const mail = composeMail(message, this.envelope);
      if (!mail) {
        this.stats.failed++;
        this.logger.error({ event: 'mail.failed', ...described(message), error: { errorCode: 'EENVELOPE', message: 'the recipient is not a single mailbox' } }, 'mail not sent');
        return;
      }
      this.stats.sent++;
      this.logger.info(
        { event: 'mail.logged', kind: message.kind, mail: { to: message.to, subject: mail.subject, text: message.text } },
        'mail written to the log instead of sent (no JWT_OIDC_SMTP_URL)',
      );
    } catch {
      this.stats.failed++;
    }
  }

  idle(): Promise<void> {
    return resolved;
  }

  stop(): Promise<void> {
    return resolved;
  }
}

/** Production without SMTP: every message is an error, and none reaches the log's readers. */
class UnconfiguredMailer implements Mailer {
  readonly delivers = false;
  readonly stats: MailStats = { sent: 0, failed: 0, retried: 0 };

  constructor(private readonly logger: Logger) {}

  send(message: MailMessage): void {
    this.stats.failed++;
    try {
      this.logger.error({ event: 'mail.failed', ...described(message), error: { errorCode: 'ENOSMTP', message: 'JWT_OIDC_SMTP_URL is not set' } }, 'mail not sent: no SMTP server configured');
    } catch {
      // A log that throws must not reach the caller either.
    }
  }

  idle(): Promise<void> {
    return resolved;
  }

  stop(): Promise<void> {
    return resolved;
  }
}

interface Job {
  message: MailMessage;
  mail: SendMailOptions;
  /** Attempts made so far. */
  attempts: number;
}

/**
 * The queue: jobs wait for one of MAX_CONCURRENT_SENDS slots, make an attempt, and on a
 * transient failure wait out the next delay and queue again. `idle()` waits for all three
 * states (queued, sending, waiting to retry) to be empty.
 */
class SmtpMailer implements Mailer {
  readonly delivers = true;
  readonly stats: MailStats = { sent: 0, failed: 0, retried: 0 };
  private readonly logger: Logger;
  private readonly retryDelaysMs: readonly number[];
  private readonly stopTimeoutMs: number;
  private readonly queued: Job[] = [];
  private sending = 0;
  private readonly waiting = new Map<Job, NodeJS.Timeout>();
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  private stopped?: Promise<void>;
  /** Aborts the sends still in flight when the stop's grace period is over. */
  private readonly abort = new AbortController();

  constructor(
    options: MailerOptions,
    private readonly envelope: Envelope,
    private readonly transport: MailTransport,
  ) {
    this.logger = options.logger;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  }

  send(message: MailMessage): void {
    try {
      if (this.stopping) return this.giveUp({ message, attempts: 0 }, { code: 'ESTOPPED', message: 'the mailer is stopping' });
      const mail = composeMail(message, this.envelope);
      if (!mail) return this.giveUp({ message, attempts: 0 }, { code: 'EENVELOPE', message: 'the recipient is not a single mailbox' });
      this.queued.push({ message, mail, attempts: 0 });
      this.schedulePump();
    } catch (e) {
      // Whatever happens (a message that is not one), the caller goes on.
      this.giveUp({ message, attempts: 0 }, e);
    }
  }

  idle(): Promise<void> {
    if (this.isIdle()) return resolved;
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): Promise<void> {
    return (this.stopped ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    // No more retries: those waiting for one are given up now.
    for (const [job, timer] of this.waiting) {
      clearTimeout(timer);
      this.waiting.delete(job);
      this.giveUp(job, { code: 'ESTOPPED', message: 'stopped before the next attempt' });
    }
    this.checkIdle();
    // What is queued or sending still gets this attempt, within the grace period.
    if (!(await this.idleWithin(this.stopTimeoutMs))) {
      this.abort.abort();
      this.pump(); // gives up on the queued jobs
      // Aborted sends settle at once; the bound only guards a transport that ignores the signal.
      await this.idleWithin(1_000);
    }
    try {
      this.transport.close();
    } catch {
      // Closing a transport that has no connection open.
    }
  }

  private async idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.idle().then(() => true as const), timedOut]);
    clearTimeout(timer);
    return done;
  }

  /** Starts sends on the next turn of the event loop: `send` returns before any work on the message. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queued.length > 0 && (this.abort.signal.aborted || this.sending < MAX_CONCURRENT_SENDS)) {
      const job = this.queued.shift()!;
      if (this.abort.signal.aborted) this.giveUp(job, { code: 'EABORT', message: 'stopped before the attempt' });
      else void this.attempt(job);
    }
    this.checkIdle();
  }

  private async attempt(job: Job): Promise<void> {
    this.sending++;
    job.attempts++;
    let error: unknown;
    let messageId: string | undefined;
    try {
      const info = (await this.transport.sendMail({ ...job.mail, signal: this.abort.signal })) as { messageId?: string } | undefined;
      messageId = info?.messageId;
    } catch (e) {
      error = e ?? new Error('unknown failure');
    }
    this.sending--;
    try {
      if (error === undefined) {
        this.stats.sent++;
        this.logger.info({ event: 'mail.sent', ...described(job.message), messageId, attempts: job.attempts }, 'mail sent');
      } else {
        this.failed(job, error);
      }
    } finally {
      this.pump();
    }
  }

  private failed(job: Job, error: unknown): void {
    const delay = this.retryDelaysMs[job.attempts - 1];
    if (this.stopping || delay === undefined || isPermanentFailure(error as SendError)) return this.giveUp(job, error);
    this.stats.retried++;
    this.logger.warn({ event: 'mail.retry', ...described(job.message), attempts: job.attempts, retryInMs: delay, error: describeError(error) }, 'mail not delivered yet: will try again');
    const timer = setTimeout(() => {
      this.waiting.delete(job);
      this.queued.push(job);
      this.pump();
    }, delay);
    this.waiting.set(job, timer);
  }

  private giveUp(job: Pick<Job, 'message' | 'attempts'>, error: unknown): void {
    this.stats.failed++;
    try {
      this.logger.error({ event: 'mail.failed', ...described(job.message), attempts: job.attempts, error: describeError(error) }, 'mail not delivered: given up');
    } catch {
      // A log that throws must not reach the caller of send().
    }
  }

  private isIdle(): boolean {
    return this.queued.length === 0 && this.sending === 0 && this.waiting.size === 0 && !this.pumpScheduled;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
