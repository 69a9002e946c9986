/**
 * Invitations (docs/ACCOUNTS.md "Invitations"): an administrator names an email address; a
 * single-use link goes there, and its page (src/interaction/invitation.ts) lets whoever reads
 * the mail choose a username and a password once. The one implementation behind the GraphQL
 * mutation `inviteUser` and the command `jwt-oidc users invite`.
 *
 * - Only with JWT_OIDC_REGISTRATION `invite` or `open` (`invitationsOn`).
 * - An address that has an account is refused, naming the field: the administrator may know.
 * - One live invitation per address: a new one ends the older links, under the lock that
 *   registrations of the address take (src/users/user-service.ts `withFreeAddress`).
 * - The token (src/users/account-tokens.ts, kind `invitation`, docs/SECURITY.md IV-01) is 256
 *   random bits, stored as a SHA-256 digest, valid INVITATION_LIFETIME, used once; its data is
 *   `{ email, admin, invitedBy }`: what the account will be, and who asked.
 * - The audit event names the inviter and the address's domain only (src/audit.ts: people by
 *   id; the invited person has none yet), as the mail's log record does.
 */
import { audit } from '../audit.js';
import type { Clock } from '../clock.js';
import { invitationsOn } from '../config/derive.js';
import type { Settings } from '../config/load.js';
import type { Logger } from '../log.js';
import { addressDomain } from '../mail/address.js';
import type { Mailer } from '../mail/mailer.js';
import { html } from '../util/html.js';
import { waitInWords } from '../util/wait-words.js';
import { issueAccountToken, revokeInvitations } from './account-tokens.js';
import type { UserService } from './user-service.js';

export type InvitationErrorCode = 'ERR_INVITATIONS_OFF' | 'ERR_MAIL_UNAVAILABLE';

/** An invitation that cannot be made whatever the address: the settings do not allow it. */
export class InvitationError extends Error {
  constructor(
    readonly code: InvitationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InvitationError';
  }
}

/** The mailed links are `<issuer><INVITATION_PATH>/<token>`; the page: src/interaction/invitation.ts. */
export const INVITATION_PATH = '/account/invitation';

export const INVITATIONS_OFF = 'invitations are off: JWT_OIDC_REGISTRATION is "off"; set it to "invite" (or "open") to invite people by email';

/** What an invitation needs of the running service, or of the CLI's command. */
export interface InvitationDeps {
  users: UserService;
  settings: Pick<Settings, 'type' | 'registration' | 'invitationLifetime' | 'productName'>;
  issuer: string;
  clock: Clock;
  mailer?: Mailer;
  logger: Logger;
}

export interface InvitationInput {
  email: string;
  admin?: boolean;
  /** Who invites: the administrator's subject (a user id, or the client id of a client's token), or `cli`. */
  invitedBy: string;
  /** Where the request came from (the audit event's `ip`). */
  ip?: string;
}

export interface Invitation {
  email: string;
  admin: boolean;
  expiresAt: Date;
}

/**
 * Invites `input.email`: the token, replacing the address's older links, then the mail (queued:
 * `deps.mailer.idle()` says when it left). UserError `email` for an address refused;
 * InvitationError when the settings allow no invitation.
 */
export async function inviteUser(deps: InvitationDeps, input: InvitationInput): Promise<Invitation> {
  if (!invitationsOn(deps.settings)) throw new InvitationError('ERR_INVITATIONS_OFF', INVITATIONS_OFF);
  const mailer = deps.mailer;
  if (!mailer) throw new InvitationError('ERR_MAIL_UNAVAILABLE', 'invitations need the service\'s mail, which is not available here');
  const email = deps.users.checkEmail(input.email);
  const admin = input.admin ?? false;
  const now = deps.clock.now();
  const lifetimeMs = deps.settings.invitationLifetime * 1000;
  const { token, replaced } = await deps.users.withFreeAddress(email, async (em) => {
    const replaced = await revokeInvitations(em, email);
    const token = await issueAccountToken(em, { kind: 'invitation', userId: null, lifetimeMs, now, data: { email, admin, invitedBy: input.invitedBy } });
    return { token, replaced };
  });
  const invitation = { email, admin, expiresAt: new Date(now + lifetimeMs) };
  mailer.send(invitationMail(deps, invitation, token));
  audit(deps.logger, 'user.invited', { outcome: 'success', actor: input.invitedBy, toDomain: addressDomain(email), admin, replaced, ...(input.ip ? { ip: input.ip } : {}) }, replaced ? 'invitation sent, replacing the older link of the address' : 'invitation sent');
  return invitation;
}

/** The product's name as the pages and mails say it (src/app.ts `pageBrand`): PRODUCT_NAME, else the issuer's host. */
export function productName(settings: Pick<Settings, 'productName'>, issuer: string): string {
  return settings.productName ?? new URL(issuer).host;
}

/** "7 days", "12 hours": how long a link works, in the largest whole unit. */
export function validityInWords(seconds: number): string {
  const days = seconds / 86_400;
  if (Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`;
  return waitInWords(seconds);
}

/** "2026-12-11 04:00 UTC": an instant every reader reads the same, whatever their zone. */
export function instantInWords(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function invitationMail(deps: InvitationDeps, invitation: Invitation, token: string) {
  const product = productName(deps.settings, deps.issuer);
  const link = `${deps.issuer.replace(/\/$/, '')}${INVITATION_PATH}/${token}`;
  const valid = `${validityInWords(deps.settings.invitationLifetime)}, until ${instantInWords(invitation.expiresAt)}`;
  return {
    kind: 'invitation',
    to: invitation.email,
    subject: `You are invited to ${product}`,
    text: `An administrator of ${product} invited this email address to an account${invitation.admin ? ' with administrator rights' : ''}.\n\nChoose your username and password here (the link works once, for ${valid}):\n${link}\n\nIf you did not expect this invitation, ignore this mail: nothing is created without you.\n`,
    html: html`<p>An administrator of <strong>${product}</strong> invited this email address to an account${invitation.admin ? ' with administrator rights' : ''}.</p>
<p><a href="${link}">Choose your username and password</a> (the link works once, for ${valid}).</p>
<p>If you did not expect this invitation, ignore this mail: nothing is created without you.</p>`.value,
  };
}
