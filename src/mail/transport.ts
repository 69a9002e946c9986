/**
 * The SMTP transport of JWT_OIDC_SMTP_URL, and which of its failures are worth another attempt.
 */
import { createTransport, type Transporter } from 'nodemailer';
import { parseSmtpUrl } from './smtp-url.js';

/** What the mailer needs of a nodemailer transport (tests hand in their own). */
export type MailTransport = Pick<Transporter, 'sendMail' | 'close'>;

/**
 * Bounds of one attempt. nodemailer's defaults (2 minutes to connect, 10 minutes of silence)
 * would let a black-holed server hold a sending slot for most of the retry schedule; an SMTP
 * server that is up answers within seconds, and one that is not is tried again later anyway.
 */
export const SMTP_TIMEOUTS = {
  /** The TCP (or TLS) connection. */
  connectionTimeout: 10_000,
  /** The server's 220 greeting after connecting (RFC 5321 §4.5.3.2.1 lets a server take 5 minutes; relays in practice answer at once). */
  greetingTimeout: 15_000,
  /** Silence on an open connection, e.g. while the server processes the message after DATA. */
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
} as const;

/**
 * One connection per message, not a pool: the service sends a few messages now and then
 * (password resets, invitations), and a fresh connection each time means a connection the
 * server dropped never takes the next message down with it. nodemailer logs nothing (its
 * transcripts would hold the messages, links included).
 */
export function smtpTransport(url: string): MailTransport {
  const endpoint = parseSmtpUrl(url);
  // The settings validated the URL; this only guards a caller that skipped them.
  if (!endpoint) throw new Error('JWT_OIDC_SMTP_URL: not an smtp:// or smtps:// URL');
  return createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    requireTLS: endpoint.requireTLS,
    ...(endpoint.auth ? { auth: endpoint.auth } : {}),
    ...SMTP_TIMEOUTS,
    logger: false,
    debug: false,
  });
}

/** The fields of a nodemailer error that say what went wrong. */
export interface SendError {
  code?: string;
  responseCode?: number;
  command?: string;
  permanent?: boolean;
  message?: string;
}

/** Failures about the message or the configuration, not the server's state: another attempt would fail alike. */
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG', 'ENOAUTH', 'EOTP', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS']);

/**
 * Whether another attempt is pointless. A reply code decides when there is one (RFC 5321
 * §4.2.1): 5yz is a permanent refusal ("550 mailbox unavailable", "535 authentication
 * failed"), 4yz a transient one ("451 try again later"); 503 (bad sequence of commands) is the
 * session's state rather than the message's and may pass on a new connection. Without a reply
 * (connection refused, timeout, TLS failure) the server may be back soon: try again, unless
 * the error is about the message or the configuration.
 */
export function isPermanentFailure(error: SendError): boolean {
  if (typeof error.responseCode === 'number') return error.responseCode >= 500 && error.responseCode < 600 && error.responseCode !== 503;
  return error.code !== undefined && PERMANENT_CODES.has(error.code);
}
