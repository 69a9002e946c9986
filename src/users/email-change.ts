/**
 * Changing one's email address (docs/ACCOUNTS.md "Changing the email address"), the part behind
 * the `changeMyEmail` mutation: a single-use link to the NEW address (its page:
 * src/interaction/email-change.ts); the account keeps its address until that link is confirmed;
 * then the OLD address is told, so that an owner whose session was stolen learns it
 * (docs/SECURITY.md EC-01..EC-06).
 *
 * No enumeration of addresses (EC-02): the mutation answers before this runs, the same whether or
 * not another account holds the new address; then either the link goes out or — when another
 * account holds it — a notice to that address. The link (EC-03) is an account token
 * (./account-tokens.ts, kind `email-change`, data `{ email, previous }`) valid
 * EMAIL_VERIFICATION_LIFETIME, bound to the address the account had when it was asked for; a new
 * request ends the earlier links.
 */
import { audit } from '../audit.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/load.js';
import type { User } from '../db/entities/user.js';
import type { Logger } from '../log.js';
import type { Mailer } from '../mail/mailer.js';
import { html } from '../util/html.js';
import { waitInWords } from '../util/wait-words.js';
import { issueAccountToken } from './account-tokens.js';
import type { UserService } from './user-service.js';

/** The mailed links are `<issuer><EMAIL_CHANGE_PATH>/<token>`; the page: src/interaction/email-change.ts. */
export const EMAIL_CHANGE_PATH = '/account/email';

/** What an email change needs of the running service. */
export interface EmailChangeDeps {
  users: UserService;
  settings: Pick<Settings, 'emailVerificationLifetime'>;
  issuer: string;
  clock: Clock;
  mailer?: Mailer;
  logger: Logger;
}

/**
 * Asks for `email` to become `user`'s address: the link to the new address, or — when another
 * account holds it — a notice there. Run after the caller answered (see the module's comment);
 * what goes wrong is logged, never thrown.
 */
export function startEmailChange(deps: EmailChangeDeps, user: User, email: string, ip: string): void {
  setImmediate(() => void requestChange(deps, user, email, ip).catch((e: unknown) => deps.logger.error({ err: e }, 'email change: the link could not be prepared')));
}

async function requestChange(deps: EmailChangeDeps, user: User, email: string, ip: string): Promise<void> {
  const outcome = await deps.users.requestEmailChange(user.id, email, (em, u, wanted) =>
    issueAccountToken(em, { kind: 'email-change', userId: u.id, lifetimeMs: deps.settings.emailVerificationLifetime * 1000, now: deps.clock.now(), data: { email: wanted, previous: u.email ?? null } }),
  );
  if ('taken' in outcome) {
    mailTakenNotice(deps, email);
    return void audit(deps.logger, 'email.change_requested', { outcome: 'refused', actor: user.id, ip }, 'email change refused: another account has the address, which was told by mail');
  }
  mailLink(deps, user, email, outcome.issued);
  audit(deps.logger, 'email.change_requested', { outcome: 'success', actor: user.id, ip }, 'email change asked: a link went to the new address');
}

function mailLink(ctx: EmailChangeDeps, user: User, email: string, token: string): void {
  if (!ctx.mailer) return;
  const link = `${ctx.issuer.replace(/\/$/, '')}${EMAIL_CHANGE_PATH}/${token}`;
  const valid = waitInWords(ctx.settings.emailVerificationLifetime);
  ctx.mailer.send({
    kind: 'email-change',
    to: email,
    subject: 'Confirm your new email address',
    text: `Someone, hopefully you, asked for this address to become the address of the account "${user.username}".\n\nConfirm it (the link works once, for ${valid}):\n${link}\n\nIf you did not ask for this, ignore this mail: nothing changes without the confirmation.\n`,
    html: html`<p>Someone, hopefully you, asked for this address to become the address of the account <strong>${user.username}</strong>.</p>
<p><a href="${link}">Confirm the new address</a> (the link works once, for ${valid}).</p>
<p>If you did not ask for this, ignore this mail: nothing changes without the confirmation.</p>`.value,
  });
}

/** The address belongs to another account: its owner learns that someone tried, and nothing changed. */
function mailTakenNotice(ctx: Pick<EmailChangeDeps, 'mailer'>, email: string): void {
  if (!ctx.mailer) return;
  ctx.mailer.send({
    kind: 'email-change-refused',
    to: email,
    subject: 'Someone tried to use your address',
    text: 'Someone asked for this address to become the address of another account. It belongs to an account already, so nothing changed.\n\nIf it was you, sign in to the account that has this address instead. Otherwise, ignore this mail.\n',
    html: html`<p>Someone asked for this address to become the address of another account. It belongs to an account already, so nothing changed.</p>
<p>If it was you, sign in to the account that has this address instead. Otherwise, ignore this mail.</p>`.value,
  });
}

/**
 * The old address learns of the change. A password reset would mail the new address, which may
 * be the intruder's: the way back is an administrator (docs/ACCOUNTS.md).
 */
export function mailChangedNotice(ctx: Pick<EmailChangeDeps, 'mailer'>, user: User, previous: string, email: string): void {
  if (!ctx.mailer) return;
  ctx.mailer.send({
    kind: 'email-changed',
    to: previous,
    subject: 'The email address of your account changed',
    text: `The address of the account "${user.username}" is now ${email}; this address no longer receives its mail.\n\nIf you did not do this, someone else may be using your account: tell an administrator at once.\n`,
    html: html`<p>The address of the account <strong>${user.username}</strong> is now <strong>${email}</strong>; this address no longer receives its mail.</p>
<p>If you did not do this, someone else may be using your account: tell an administrator at once.</p>`.value,
  });
}
