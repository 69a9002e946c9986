import pg from 'pg';
import type { Logger } from '../log.js';

/**
 * LISTENs on a channel over a dedicated connection and calls `onChange` for each notice, with its
 * payload; reconnects with backoff when the connection drops (and reports a change then, without
 * a payload, since one may have been missed meanwhile).
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private delay = 500;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onChange: (payload?: string) => void,
    private readonly logger: Logger,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`invalid channel name: ${channel}`);
  }

  /** Resolves once listening (or once the first attempt failed: it retries in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: `jwt-oidc listener ${this.channel}` });
    client.on('notification', (notice) => this.onChange(notice.payload));
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.stopped || this.client !== client) return;
      this.client = undefined;
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      this.client = client;
      if (this.delay > 500) this.onChange(); // reconnected: we may have missed a change
      this.delay = 500;
    } catch (e) {
      await client.end().catch(() => undefined);
      this.logger.warn({ err: e }, 'change listener could not connect; retrying');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connect(), this.delay);
    this.retry.unref();
    this.delay = Math.min(this.delay * 2, 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
