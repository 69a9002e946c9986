/**
 * The service's mail (src/mail/): delivery through a real SMTP server on loopback
 * (test/support/smtp.ts), in the background and bounded, with retries on transient failures
 * only; what the logs keep of a message (never its body); the log stand-in of development; and
 * the settings JWT_OIDC_SMTP_URL and JWT_OIDC_MAIL_FROM.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadSettings, type Settings } from '../../src/config/load.js';
import { redactedSettings } from '../../src/config/redact.js';
import { createLogger } from '../../src/log.js';
import { parseMailbox } from '../../src/mail/address.js';
import { createMailer, mailConfigured, MAX_CONCURRENT_SENDS, type MailMessage, type MailerOptions, type MailTransport } from '../../src/mail/mailer.js';
import { freePort } from '../../src/util/free-port.js';
import { startTestServer } from '../support/server.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const ISSUER = 'https://id.example.com';
const LINK = 'https://id.example.com/account/password-reset/c2VjcmV0LWxpbmstdG9rZW4tdGhhdC1pcy1hLWNyZWRlbnRpYWw';

function settings(env: Record<string, string> = {}): Settings {
  return loadSettings({ env: { JWT_OIDC_ISSUER: ISSUER, ...env } }).settings;
}

/** A logger whose records the test reads back, and all of them as one text (to search for what must not be there). */
function capturedLogger() {
  const records: Record<string, any>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) records.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination, pretty: false });
  return { logger, records, text: () => JSON.stringify(records) };
}

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    to: 'ada@example.org',
    subject: 'Reset your password',
    text: `Someone asked to reset your password. Open ${LINK} to choose a new one.`,
    html: `<p>Someone asked to reset your password. <a href="${LINK}">Choose a new one</a>.</p>`,
    kind: 'password-reset',
    ...overrides,
  };
}

function mailer(env: Record<string, string>, options: Partial<MailerOptions> = {}) {
  const log = capturedLogger();
  const m = createMailer({ settings: settings(env), logger: log.logger, productName: 'Acme Identity', retryDelaysMs: [20, 20, 20], ...options });
  return { mailer: m, log };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer({ requireAuth: true });
});
afterAll(async () => {
  await smtp?.close();
});

describe('mail over SMTP', () => {
  it('delivers with the credentials of the URL: the product name in the subject, both bodies, From, To, Date, Message-ID and Auto-Submitted', async () => {
    const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: smtp.url });
    expect(m.delivers).toBe(true);
    const to = `ada-${Date.now()}@example.org`;
    m.send(message({ to }));
    await m.idle();
    const mail = await smtp.waitForMail((x) => x.to.includes(to));
    expect(mail.authenticatedAs).toBe('mailer');
    expect(mail.subject).toBe('Acme Identity: Reset your password');
    expect(mail.text).toContain(LINK);
    expect(mail.html).toContain(`href="${LINK}"`);
    expect(mail.from).toBe('"Acme Identity" <no-reply@id.example.com>');
    expect(mail.to).toEqual([to]);
    expect(mail.envelope).toEqual({ from: 'no-reply@id.example.com', to: [to] });
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('message-id')).toMatch(/^<[0-9a-f-]{36}@id\.example\.com>$/);
    expect(mail.headers.get('date')).toBeInstanceOf(Date);
    expect(Math.abs((mail.headers.get('date') as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative/im);
    expect(m.stats).toEqual({ sent: 1, failed: 0, retried: 0 });
    // The log says it went, to which domain, and never what it said.
    expect(log.records).toContainEqual(expect.objectContaining({ event: 'mail.sent', kind: 'password-reset', toDomain: 'example.org', attempts: 1, messageId: mail.headers.get('message-id') }));
    expect(log.text()).not.toContain(LINK);
    expect(log.text()).not.toContain(to);
    await m.stop();
  });

  it('sends as JWT_OIDC_MAIL_FROM, and to a recipient given with a display name', async () => {
    const { mailer: m } = mailer({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_MAIL_FROM: '"Acme, Accounts" <accounts@acme.example>' });
    const to = `grace-${Date.now()}@example.org`;
    m.send(message({ to: `Grace Hopper <${to}>`, kind: 'invitation', subject: 'You are invited' }));
    await m.idle();
    const mail = await smtp.waitForMail((x) => x.to.includes(to));
    expect(mail.from).toBe('"Acme, Accounts" <accounts@acme.example>');
    expect(mail.envelope.from).toBe('accounts@acme.example');
    expect(mail.subject).toBe('Acme Identity: You are invited');
    await m.stop();
  });

  it('returns from send before the server has answered', async () => {
    const slow = await startSmtpServer({ delayMs: 300 });
    try {
      const { mailer: m } = mailer({ JWT_OIDC_SMTP_URL: slow.url });
      const started = performance.now();
      m.send(message());
      expect(performance.now() - started).toBeLessThan(50);
      expect(m.stats.sent).toBe(0);
      await m.idle();
      expect(m.stats.sent).toBe(1);
      expect(slow.messages).toHaveLength(1);
      await m.stop();
    } finally {
      await slow.close();
    }
  });

  it('tries again after a transient 451 and then delivers', async () => {
    const flaky = await startSmtpServer();
    try {
      const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: flaky.url });
      flaky.failNext(2, 451);
      m.send(message());
      await m.idle();
      expect(m.stats).toEqual({ sent: 1, failed: 0, retried: 2 });
      expect(flaky.attempts).toBe(3);
      expect(flaky.messages).toHaveLength(1);
      const retries = log.records.filter((r) => r.event === 'mail.retry');
      expect(retries.map((r) => [r.level, r.attempts, r.error.responseCode])).toEqual([[40, 1, 451], [40, 2, 451]]);
      expect(log.text()).not.toContain(LINK);
      await m.stop();
    } finally {
      await flaky.close();
    }
  });

  it('takes a 550 as final: no retry, counted failed, logged at error without the body or the address', async () => {
    const strict = await startSmtpServer();
    try {
      const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: strict.url });
      strict.failNext(1, 550, { stage: 'rcpt', message: 'No such user <ghost@example.net>' });
      m.send(message({ to: 'ghost@example.net' }));
      await m.idle();
      expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 0 });
      expect(strict.attempts).toBe(1);
      const failure = log.records.find((r) => r.event === 'mail.failed');
      expect(failure).toMatchObject({ level: 50, kind: 'password-reset', toDomain: 'example.net', attempts: 1, error: { responseCode: 550 } });
      expect(failure!.error.message).toContain('…@example.net');
      expect(log.text()).not.toContain(LINK);
      expect(log.text()).not.toContain('Someone asked');
      expect(log.text()).not.toContain('ghost@');
      // The same after the message was read (a 5xx at the end of DATA).
      strict.failNext(1, 554, { message: 'Message refused' });
      m.send(message());
      await m.idle();
      expect(m.stats).toEqual({ sent: 0, failed: 2, retried: 0 });
      await m.stop();
    } finally {
      await strict.close();
    }
  });

  it('never throws and gives up after the retries when the server is down; idle() resolves', async () => {
    const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: `smtp://127.0.0.1:${await freePort()}` }, { retryDelaysMs: [10, 10] });
    expect(() => m.send(message())).not.toThrow();
    await m.idle();
    expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 2 });
    const failure = log.records.find((r) => r.event === 'mail.failed');
    expect(failure).toMatchObject({ level: 50, attempts: 3, error: { errorCode: expect.stringMatching(/^E[A-Z]+$/) } });
    expect(failure!.error.responseCode).toBeUndefined();
    await m.stop();
  });

  it('stop() during a retry wait returns promptly and gives the message up', async () => {
    const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: `smtp://127.0.0.1:${await freePort()}` }, { retryDelaysMs: [60_000] });
    m.send(message());
    await until(() => m.stats.retried === 1);
    const started = performance.now();
    await m.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 1 });
    expect(log.records.at(-1)).toMatchObject({ event: 'mail.failed', error: { errorCode: 'ESTOPPED' } });
    await m.idle();
    // After stop, send still returns and counts the message failed.
    m.send(message());
    expect(m.stats.failed).toBe(2);
  });

  it('stop() waits for a send in flight only as long as its bound, then aborts it', async () => {
    const stuck = await startSmtpServer({ delayMs: 3_000 });
    try {
      const { mailer: m } = mailer({ JWT_OIDC_SMTP_URL: stuck.url }, { stopTimeoutMs: 200 });
      m.send(message());
      await until(() => stuck.attempts === 1);
      const started = performance.now();
      await m.stop();
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 0 });
    } finally {
      await stuck.close();
    }
  });

  it('refuses STARTTLS-less delivery with ?requireTLS=true: nothing crosses in clear', async () => {
    const { mailer: m } = mailer({ JWT_OIDC_SMTP_URL: `${smtp.url}?requireTLS=true` }, { retryDelaysMs: [] });
    const before = smtp.attempts;
    m.send(message());
    await m.idle();
    expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 0 });
    expect(smtp.attempts).toBe(before);
    await m.stop();
  });

  it('refuses credentials the server does not accept, for good (535)', async () => {
    const url = smtp.url.replace(':smtp-test-password@', ':wrong@');
    const { mailer: m, log } = mailer({ JWT_OIDC_SMTP_URL: url });
    m.send(message());
    await m.idle();
    expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 0 });
    expect(log.records.find((r) => r.event === 'mail.failed')).toMatchObject({ error: { responseCode: 535 } });
    expect(log.text()).not.toContain('wrong');
    await m.stop();
  });

  it('refuses a recipient that is not one mailbox, without a throw and without sending', async () => {
    const { mailer: m } = mailer({ JWT_OIDC_SMTP_URL: smtp.url });
    const before = smtp.attempts;
    for (const to of ['ada@example.org, mallory@evil.example', 'not an address', '', 'ada@example.org\r\nBcc: mallory@evil.example']) {
      expect(() => m.send(message({ to }))).not.toThrow();
    }
    await m.idle();
    expect(m.stats).toEqual({ sent: 0, failed: 4, retried: 0 });
    expect(smtp.attempts).toBe(before);
    await m.stop();
  });

  it(`sends at most ${MAX_CONCURRENT_SENDS} at once`, async () => {
    let active = 0;
    let most = 0;
    const transport: MailTransport = {
      sendMail: (async () => {
        most = Math.max(most, ++active);
        await sleep(20);
        active--;
        return { messageId: '<x@y>' };
      }) as unknown as MailTransport['sendMail'],
      close: () => undefined,
    };
    const { mailer: m } = mailer({}, { transport });
    for (let i = 0; i < 3 * MAX_CONCURRENT_SENDS; i++) m.send(message({ to: `user${i}@example.org` }));
    await m.idle();
    expect(m.stats.sent).toBe(3 * MAX_CONCURRENT_SENDS);
    expect(most).toBe(MAX_CONCURRENT_SENDS);
    await m.stop();
  });
});

describe('mail without an SMTP server', () => {
  it('development: each message goes to the log at info, its text and link included', async () => {
    const { mailer: m, log } = mailer({});
    expect(m.delivers).toBe(false);
    m.send(message());
    await m.idle();
    expect(m.stats).toEqual({ sent: 1, failed: 0, retried: 0 });
    const record = log.records.find((r) => r.event === 'mail.logged');
    expect(record).toMatchObject({ level: 30, kind: 'password-reset', mail: { to: 'ada@example.org', subject: 'Acme Identity: Reset your password' } });
    expect(record!.mail.text).toContain(LINK);
    await m.stop();
  });

  it('production: nothing is sent; each message is an error in the log, without its body, and counted failed', async () => {
    const log = capturedLogger();
    const production = loadSettings({ env: { NODE_ENV: 'production', JWT_OIDC_ISSUER: ISSUER, JWT_OIDC_KEY_ENCRYPTION_SECRET: 'k'.repeat(40) } }).settings;
    const m = createMailer({ settings: production, logger: log.logger, productName: 'Acme Identity' });
    expect(m.delivers).toBe(false);
    expect(mailConfigured(production)).toBe(false);
    expect(mailConfigured({ ...production, smtpUrl: smtp.url })).toBe(true);
    m.send(message());
    await m.idle();
    expect(m.stats).toEqual({ sent: 0, failed: 1, retried: 0 });
    expect(log.records).toEqual([expect.objectContaining({ level: 50, event: 'mail.failed', kind: 'password-reset', toDomain: 'example.org' })]);
    expect(log.text()).not.toContain(LINK);
    await m.stop();
  });
});

describe('mail settings', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadSettings({ env });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
    return [];
  };

  it('accepts smtp:// (with requireTLS) and smtps:// URLs, and refuses any other with a clear line that does not show the value', () => {
    for (const good of ['smtp://mailer:p%40ss@mail.example:587', 'smtp://mail.example', 'smtps://u:p@mail.example:465', 'smtp://u:p@mail.example:587?requireTLS=true', 'smtp://u:p@[2001:db8::1]:25/']) {
      expect(problems({ JWT_OIDC_SMTP_URL: good }), good).toEqual([]);
    }
    for (const bad of ['http://u:s3cret@mail.example', 'mail.example:587', 'smtp://u:s3cret@mail.example/path', 'smtp://u:s3cret@mail.example?debug=true', 'smtp://u:s3cret@mail.example?requireTLS=yes', 'smtp://u:s3cret@mail.example#x', 'smtp://:587']) {
      const lines = problems({ JWT_OIDC_SMTP_URL: bad });
      expect(lines, bad).toEqual([expect.stringMatching(/^JWT_OIDC_SMTP_URL: expected an smtp:\/\/\[user:password@\]host\[:port\] URL .* or smtps:\/\/.*; got a value that is not shown \(secret\)$/)]);
      expect(lines.join(), bad).not.toContain('s3cret');
    }
  });

  it('redacts the password of the URL in `jwt-oidc config`, and keeps where the server is', () => {
    const loaded = loadSettings({ env: { JWT_OIDC_SMTP_URL: 'smtp://mailer:s3cret@mail.example:587?requireTLS=true' } });
    const shown = redactedSettings(loaded).find((s) => s.key === 'smtpUrl');
    expect(shown).toMatchObject({ env: 'JWT_OIDC_SMTP_URL', value: 'smtp://mailer:[redacted]@mail.example:587?requireTLS=true', source: 'env' });
    expect(JSON.stringify(redactedSettings(loaded))).not.toContain('s3cret');
  });

  it('takes one mailbox as MAIL_FROM, and refuses a list or a header break', () => {
    expect(loadSettings({ env: { JWT_OIDC_MAIL_FROM: 'Acme Identity <no-reply@acme.example>' } }).settings.mailFrom).toBe('Acme Identity <no-reply@acme.example>');
    expect(problems({ JWT_OIDC_MAIL_FROM: 'no-reply@acme.example' })).toEqual([]);
    for (const bad of ['a@acme.example, b@acme.example', 'Acme <no-reply@acme.example', 'no reply@acme.example', 'Acme\r\nBcc: x@evil.example <a@acme.example>', '"Acme" <a@b@acme.example>']) {
      expect(problems({ JWT_OIDC_MAIL_FROM: bad }), bad).toEqual([expect.stringMatching(/^JWT_OIDC_MAIL_FROM: expected one mailbox/)]);
    }
    expect(parseMailbox('"Acme \\"Identity\\"" <no-reply@acme.example>')).toEqual({ name: 'Acme "Identity"', address: 'no-reply@acme.example' });
  });

  it('belongs to the provider and fake modes: the client mode does not validate it', () => {
    expect(problems({ JWT_OIDC_TYPE: 'client', JWT_OIDC_DISCOVERY_ENDPOINT: ISSUER, JWT_OIDC_CLIENT_ID: 'app', JWT_OIDC_SMTP_URL: 'http://x' })).toEqual([]);
  });
});

describe('mail in the running service', () => {
  it('is created with the server, shared with the provider context, named after the issuer, and stopped with it', async () => {
    const server = await startTestServer({ JWT_OIDC_SMTP_URL: smtp.url, JWT_OIDC_PRODUCT_NAME: 'Acme Identity' });
    try {
      expect(server.mailer?.delivers).toBe(true);
      expect(server.provider?.mailer).toBe(server.mailer);
      const to = `server-${Date.now()}@example.org`;
      server.mailer!.send(message({ to }));
      const mail = await smtp.waitForMail((x) => x.to.includes(to));
      expect(mail.from).toBe('"Acme Identity" <no-reply@localhost>');
      expect(mail.headers.get('message-id')).toMatch(/@localhost>$/);
    } finally {
      await server.close();
    }
    // Stopped: a message now is given up at once.
    server.mailer!.send(message());
    expect(server.mailer!.stats.failed).toBe(1);
  });
});
