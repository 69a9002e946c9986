/**
 * What a message of the service is, and how it becomes one nodemailer writes (RFC 5322): the
 * headers every message carries, set here once rather than by each caller.
 */
import { randomUUID } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { parseMailbox, type Mailbox } from './address.js';

export interface MailMessage {
  /** The recipient: one mailbox, `alice@example.com` or `Alice <alice@example.com>` (a list is refused). */
  to: string;
  /** The subject WITHOUT the product name: the mailer prefixes "<product name>: ". */
  subject: string;
  /** Plain-text body. */
  text: string;
  /** HTML body; callers escape the values they put in it. */
  html: string;
  /** What it is, for the logs and counters: 'password-reset', 'email-verification', 'invitation'… */
  kind: string;
}

export interface Envelope {
  /** The sender (JWT_OIDC_MAIL_FROM, or the default). */
  from: Mailbox;
  productName: string;
  /** The right-hand side of every Message-ID: the issuer's host. */
  messageIdHost: string;
}

/**
 * `<product name> <no-reply@<host>>`: a sender on the issuer's own host, which is the domain
 * people know the service by. A host that is an IP address becomes an address literal
 * (RFC 5321 §4.1.3): `no-reply@[192.0.2.1]`.
 */
export function defaultMailFrom(productName: string, host: string): Mailbox {
  const domain = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? `[${host}]` : host.startsWith('[') ? `[IPv6:${host.slice(1, -1)}]` : host;
  return { name: productName, address: `no-reply@${domain}` };
}

/** The From of JWT_OIDC_MAIL_FROM (validated with the settings), else the default. */
export function mailFrom(configured: string | undefined, productName: string, host: string): Mailbox {
  return (configured !== undefined ? parseMailbox(configured) : undefined) ?? defaultMailFrom(productName, host);
}

/**
 * The message as nodemailer takes it; undefined when the recipient is not a single mailbox.
 *
 * - Subject: "<product name>: <subject>", control characters folded to spaces (a line break in
 *   a header value would start a header of its own).
 * - Date and Message-ID are fixed here, when the caller hands the message over (RFC 5322
 *   §3.6.1: the date the message was complete), and kept by every retry: a message that the
 *   server did accept although the answer was lost is sent again with the same Message-ID
 *   (§3.6.4), by which the receiving side can tell the duplicate.
 * - `Auto-Submitted: auto-generated` (RFC 3834 §5): nobody typed it, so vacation responders
 *   and similar automatons must not answer it.
 * - text and html together make a multipart/alternative body (nodemailer's doing).
 */
export function composeMail(message: MailMessage, envelope: Envelope, now: Date = new Date()): SendMailOptions | undefined {
  const to = parseMailbox(message.to);
  if (!to) return undefined;
  return {
    from: envelope.from,
    to,
    subject: `${envelope.productName}: ${message.subject}`.replace(/[\x00-\x1f\x7f]+/g, ' '),
    text: message.text,
    html: message.html,
    date: now,
    messageId: `<${randomUUID()}@${envelope.messageIdHost}>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
