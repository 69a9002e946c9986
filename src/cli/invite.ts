/**
 * `jwt-oidc users invite` (docs/ACCOUNTS.md "Invitations"): the invitation of
 * src/users/invitations.ts, the same as the `inviteUser` mutation, then a wait until its mail
 * has left: handed to the SMTP server, or, without JWT_OIDC_SMTP_URL outside production, written
 * to the log with its link. A command that exits sooner would leave the mail in a queue that
 * dies with the process.
 */
import type { LoadedSettings } from '../config/load.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log.js';
import { systemClock } from '../clock.js';
import { createMailer } from '../mail/mailer.js';
import { inviteUser, productName, type Invitation } from '../users/invitations.js';
import { UserService } from '../users/user-service.js';
import { CliError } from './context.js';

export interface CliInvitation extends Invitation {
  /** `smtp`: handed to the SMTP server; `log`: written to the log (development without SMTP). */
  delivery: 'smtp' | 'log';
}

export async function invite(loaded: LoadedSettings, db: Database, logger: Logger, input: { email: string; admin: boolean }): Promise<CliInvitation> {
  const { settings } = loaded;
  const issuer = settings.issuer ?? `http://localhost:${settings.port}`;
  // Without SMTP, the log is where the mail goes: at info, although a command logs warnings only
  // by default (src/cli/context.ts `commandLogger`).
  const mailLogger = settings.smtpUrl === undefined ? logger.child({}, { level: 'info' }) : logger;
  const mailer = createMailer({ settings, logger: mailLogger, productName: productName(settings, issuer) });
  try {
    const invitation = await inviteUser({ users: new UserService(db.orm.em), settings, issuer, clock: systemClock, mailer, logger: mailLogger }, { email: input.email, admin: input.admin, invitedBy: 'cli' });
    await mailer.idle();
    if (mailer.stats.failed > 0) throw new CliError(`the invitation to ${invitation.email} could not be mailed (see the log); invite again once the mail server is reachable`, 'ERR_MAIL_FAILED');
    return { ...invitation, delivery: mailer.delivers ? 'smtp' : 'log' };
  } finally {
    await mailer.stop();
  }
}
