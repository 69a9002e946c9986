/**
 * The account page's passkeys as plain data (docs/ACCOUNTS.md "Passkeys"): what a person can fix
 * before anything is sent, and the browser's refusals of the ceremony in words.
 */

export interface PasskeyForm {
  name: string;
  currentPassword: string;
}

export const emptyPasskeyForm: PasskeyForm = { name: '', currentPassword: '' };

export function validatePasskeyForm(form: PasskeyForm): Record<string, string> {
  const problems: Record<string, string> = {};
  const name = form.name.trim();
  if (name.length < 1 || name.length > 100) problems.name = 'Give it a name of 1 to 100 characters.';
  if (form.currentPassword === '') problems.currentPassword = 'Enter your current password.';
  return problems;
}

/**
 * Why the browser made no passkey (navigator.credentials.create()'s DOMException names, WebAuthn
 * L2 §5.1.3): cancelled or timed out, or this authenticator holds one of the account already
 * (excludeCredentials).
 */
export function ceremonyProblem(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'InvalidStateError') return 'This device or security key has a passkey of your account already.';
  if (name === 'NotAllowedError') return 'No passkey was made: it was cancelled or took too long. Try again.';
  return 'This browser could not make a passkey.';
}
