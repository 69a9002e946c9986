/**
 * A real SMTP server on loopback for tests (smtp-server), which keeps every message it accepts,
 * parsed (mailparser), for the test to read: the link of a password-reset mail, its headers.
 *
 *   const smtp = await startSmtpServer();
 *   const server = await startTestServer({ JWT_OIDC_SMTP_URL: smtp.url });
 *   …
 *   const mail = await smtp.waitForMail((m) => m.to.includes('ada@example.com'));
 *   mail.subject, mail.text, mail.html, mail.headers.get('auto-submitted')
 *   await smtp.close();
 *
 * Plain SMTP without TLS (STARTTLS is not offered, so nodemailer does not try it). AUTH PLAIN and
 * LOGIN are offered and check `user`/`pass` (wrong ones: 535); they are optional unless
 * `requireAuth` (then MAIL FROM without AUTH gets 530). `url` carries the credentials either way.
 *
 * Failures on demand: `failNext(2, 451)` refuses the next two deliveries with a transient 451,
 * `failNext(1, 550, { stage: 'rcpt' })` refuses the next recipient for good; `delayMs` holds
 * each answer to DATA back (a slow server); `attempts` counts every delivery tried (each MAIL
 * FROM), refused ones included.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface SmtpServerOptions {
  /** AUTH credentials the server accepts (default `mailer` / `smtp-test-password`). */
  user?: string;
  pass?: string;
  /** Refuse mail from a client that did not authenticate (default false: AUTH is optional). */
  requireAuth?: boolean;
  /** Milliseconds to wait before answering each DATA (default 0). Can be changed later on the server. */
  delayMs?: number;
}

export interface ReceivedMail {
  /** The From header as written, e.g. `"Acme Identity" <no-reply@localhost>`. */
  from: string;
  /** The addresses of the To header. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML body ('' without one). */
  html: string;
  /** Every header, lower-case names (mailparser's values: strings, dates, address objects). */
  headers: ParsedMail['headers'];
  /** The SMTP envelope: MAIL FROM and RCPT TO. */
  envelope: { from: string; to: string[] };
  /** The user the client authenticated as, if it did. */
  authenticatedAs?: string;
  /** The message as received (RFC 5322 text). */
  raw: string;
}

export interface FailOptions {
  /** Where to refuse: at RCPT TO, or after the message was read at the end of DATA (default). */
  stage?: 'rcpt' | 'data';
  /** The reply text (default: a generic one for the code). */
  message?: string;
}

export interface TestSmtpServer {
  /** `smtp://user:pass@127.0.0.1:port`, for JWT_OIDC_SMTP_URL. */
  url: string;
  port: number;
  user: string;
  pass: string;
  /** Messages accepted so far, in order. */
  messages: ReceivedMail[];
  /** Deliveries tried (MAIL FROM commands), refused ones included. */
  attempts: number;
  /** Milliseconds each DATA answer is held back. */
  delayMs: number;
  /** The first message, received already or later, that `predicate` accepts; rejects after `timeoutMs` (default 5 s). */
  waitForMail(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Refuses the next `count` deliveries with `responseCode` (4xx transient, 5xx permanent). */
  failNext(count: number, responseCode: number, options?: FailOptions): void;
  close(): Promise<void>;
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const user = options.user ?? 'mailer';
  const pass = options.pass ?? 'smtp-test-password';
  const waiters = new Set<{ predicate: (mail: ReceivedMail) => boolean; resolve: (mail: ReceivedMail) => void }>();
  let failure: { remaining: number; responseCode: number; stage: 'rcpt' | 'data'; message: string } | undefined;

  const refusal = (stage: 'rcpt' | 'data'): SMTPServerError | undefined => {
    if (!failure || failure.stage !== stage || failure.remaining <= 0) return undefined;
    failure.remaining--;
    return Object.assign(new Error(failure.message), { responseCode: failure.responseCode });
  };

  const received = (mail: ReceivedMail) => {
    state.messages.push(mail);
    for (const waiter of waiters) {
      if (waiter.predicate(mail)) {
        waiters.delete(waiter);
        waiter.resolve(mail);
      }
    }
  };

  const server = new SMTPServer({
    authOptional: !options.requireAuth,
    authMethods: ['PLAIN', 'LOGIN'],
    // No TLS: nothing to upgrade to, and credentials over plain text are fine on loopback.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, callback) {
      state.attempts++;
      callback();
    },
    onRcptTo(_address, _session, callback) {
      callback(refusal('rcpt'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void (async () => {
          if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
          const refused = refusal('data');
          if (refused) return callback(refused);
          try {
            const parsed = await simpleParser(raw);
            received({
              from: parsed.from?.text ?? '',
              to: addresses(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: parsed.html || '',
              headers: parsed.headers,
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              ...(session.user ? { authenticatedAs: String(session.user) } : {}),
              raw: raw.toString('utf8'),
            });
            callback();
          } catch (e) {
            callback(Object.assign(new Error(`cannot parse the message: ${(e as Error).message}`), { responseCode: 554 }));
          }
        })();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  const state: TestSmtpServer = {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    port,
    user,
    pass,
    messages: [],
    attempts: 0,
    delayMs: options.delayMs ?? 0,
    waitForMail(predicate = () => true, timeoutMs = 5_000) {
      const found = state.messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (mail: ReceivedMail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = state.messages.map((m) => `${m.to.join(',')}: ${m.subject}`);
          reject(new Error(`no matching mail within ${timeoutMs} ms; received ${seen.length}: ${JSON.stringify(seen)}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    failNext(count, responseCode, failOptions = {}) {
      const generic = responseCode >= 500 ? 'Requested action not taken: mailbox unavailable' : 'Requested action aborted: try again later';
      failure = { remaining: count, responseCode, stage: failOptions.stage ?? 'data', message: failOptions.message ?? generic };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return state;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((o) => o.value.map((a) => a.address ?? '')).filter((a) => a !== '');
}
