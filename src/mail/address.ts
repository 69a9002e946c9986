/**
 * Mail addresses, read strictly: the sender of JWT_OIDC_MAIL_FROM and the recipient of each
 * message are one mailbox each (RFC 5322 §3.4), never a list. A lenient parser would read
 * `alice@example.com, mallory@evil.example` as two recipients, and a password-reset link would
 * reach both; here anything but a single mailbox is refused.
 *
 * Accepted: `local@domain` or `Display Name <local@domain>`, the name as plain text or as a
 * quoted string. The local part is a dot-atom (RFC 5322 §3.4.1; quoted local parts such as
 * `"john doe"@example.com` are refused, as almost every mail service does); the domain is a host
 * name, internationalized ones included (nodemailer sends them as punycode), or an address
 * literal such as `[192.0.2.1]` (RFC 5321 §4.1.3).
 */

export interface Mailbox {
  /** The display name, if any; nodemailer quotes or encodes it when the message is written. */
  name?: string;
  address: string;
}

/** atext (RFC 5322 §3.2.3), plus any non-ASCII character for internationalized local parts (RFC 6532 §3.2). */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uffff]";
const LOCAL = `${ATEXT}+(?:\\.${ATEXT}+)*`;
const LABEL = '[A-Za-z0-9\\u0080-\\uffff](?:[A-Za-z0-9\\u0080-\\uffff-]*[A-Za-z0-9\\u0080-\\uffff])?';
const DOMAIN = `(?:${LABEL}(?:\\.${LABEL})*|\\[[\\x21-\\x5a\\x5e-\\x7e]+\\])`;
const ADDR_SPEC = new RegExp(`^(${LOCAL})@(${DOMAIN})$`);
/** A display name in plain text: no character that has a meaning in an address header, no control character. */
const PLAIN_NAME = /^[^<>"\\,;:@[\]()\x00-\x1f\x7f]+$/;
/** A quoted string (RFC 5322 §3.2.4): escapes allowed, control characters not. */
const QUOTED_NAME = /^"((?:[^"\\\x00-\x1f\x7f]|\\[^\x00-\x1f\x7f])*)"$/;

/**
 * The mailbox `text` names, or undefined when it is not exactly one well-formed mailbox. Limits:
 * 64 octets of local part and 254 of address (RFC 5321 §4.5.3.1.1 and §4.5.3.1.3, the path less
 * its angle brackets), 320 characters in all.
 */
export function parseMailbox(text: string): Mailbox | undefined {
  const value = text.trim();
  if (value.length === 0 || value.length > 320) return undefined;
  const angle = /^(.*?)\s*<([^<>]*)>$/s.exec(value);
  if (!angle) return validAddress(value) ? { address: value } : undefined;
  const [, rawName, address] = angle as unknown as [string, string, string];
  if (!validAddress(address)) return undefined;
  if (rawName === '') return { address };
  const quoted = QUOTED_NAME.exec(rawName);
  if (quoted) {
    const name = quoted[1]!.replace(/\\(.)/g, '$1').trim();
    return name ? { name, address } : { address };
  }
  return PLAIN_NAME.test(rawName) ? { name: rawName.trim(), address } : undefined;
}

function validAddress(address: string): boolean {
  const match = ADDR_SPEC.exec(address);
  return !!match && Buffer.byteLength(match[1]!) <= 64 && Buffer.byteLength(address) <= 254;
}

/** The domain of an address (what the logs keep of a recipient), lower-cased. */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/**
 * `Recipient <alice@example.com> rejected` → `Recipient <…@example.com> rejected`: SMTP replies
 * often repeat the address, and the logs keep recipients by domain only (src/mail/mailer.ts).
 */
export function maskAddresses(text: string): string {
  return text.replace(/[^\s<>"'(),;:[\]]+@([A-Za-z0-9.-]+|\[[^\]]*\])/g, '…@$1');
}
