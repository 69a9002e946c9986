/** What the two-step section of a user's page says (docs/ACCOUNTS.md "Two-step sign-in"). */

/** What "Reset two-step sign-in" says after `resetUserFactors`. */
export function factorsReset(removed: number, username: string): string {
  if (removed === 0) return `${username} had no second factor: nothing to remove.`;
  return `Removed ${removed === 1 ? 'the second factor' : `${removed} second factors`} and the recovery codes of ${username}: their next sign-in asks for the password only.`;
}

/** A factor's kind in words; a kind this console does not know yet is shown as the API names it. */
export function factorKindName(kind: string): string {
  switch (kind.toLowerCase()) {
    case 'totp':
      return 'Authenticator app';
    case 'passkey':
      return 'Passkey';
    default:
      return kind;
  }
}

/** What removing one factor leaves, said after `removeUserFactor`. */
export function factorRemoved(factor: { name: string }, username: string, left: number): string {
  return left === 0
    ? `Removed “${factor.name}”, the last second factor of ${username}, and their recovery codes: their next sign-in asks for the password only.`
    : `Removed “${factor.name}” from ${username}'s second factors.`;
}

/** How many recovery codes are left, in words. */
export function recoveryCodesLeft(count: number): string {
  if (count === 0) return 'No recovery codes left.';
  return `${count} recovery code${count === 1 ? '' : 's'} left.`;
}
