/**
 * Inviting someone (docs/ACCOUNTS.md "Invitations") as plain data: what the form checks before
 * asking the server, and what the console says once the invitation went out.
 */
import { formatTime } from '../../graphql/problems';

/** A problem a person can fix at once; the server checks the address as users' addresses are. */
export function validateInvite(email: string): Record<string, string> {
  const trimmed = email.trim();
  if (trimmed === '') return { email: 'Enter the email address to invite.' };
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) return { email: 'Enter an email address, such as ada@example.com.' };
  return {};
}

/** "Invitation sent to ada@example.com, valid until 11 Dec 2026, 04:00". */
export function invitationSent(invitation: { email: string; admin: boolean; expiresAt: string }, format: (iso: string) => string = formatTime): string {
  return `Invitation sent to ${invitation.email}${invitation.admin ? ' (administrator)' : ''}, valid until ${format(invitation.expiresAt)}.`;
}
