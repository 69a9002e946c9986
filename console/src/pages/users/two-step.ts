/** What "Reset two-step sign-in" says after `resetUserFactors` (docs/ACCOUNTS.md "Two-step sign-in"). */
export function factorsReset(removed: number, username: string): string {
  if (removed === 0) return `${username} had no second factor: nothing to remove.`;
  return `Removed ${removed === 1 ? 'the second factor' : `${removed} second factors`} and the recovery codes of ${username}: their next sign-in asks for the password only.`;
}
