/**
 * The account page's email-change form as plain data (`changeMyEmail`, docs/ACCOUNTS.md
 * "Changing the email address"): the checks a person can act on before anything is sent, and the
 * server's answer put beside the field it is about. The address is trimmed as the server trims it.
 */
import { formatWait, type Problem } from '../graphql/problems';
import { formProblems, type FormProblems } from './forms';

export interface EmailForm {
  email: string;
  current: string;
}

export const emptyEmailForm: EmailForm = { email: '', current: '' };

/** The server's argument names ⇄ the form's fields. */
const FIELD_OF: Record<string, keyof EmailForm> = { currentPassword: 'current', email: 'email' };

/** A plausible address: something@something, without spaces (the server checks it fully). */
const PLAUSIBLE = /^[^\s@]+@[^\s@]+$/;

export function validateEmailChange(form: EmailForm, currentAddress: string | null | undefined): Record<string, string> {
  const problems: Record<string, string> = {};
  const email = form.email.trim();
  if (email === '') problems.email = 'Enter the new address.';
  else if (!PLAUSIBLE.test(email)) problems.email = 'Enter an email address, such as name@example.com.';
  else if (currentAddress && email.toLowerCase() === currentAddress.toLowerCase()) problems.email = 'This is the address of your account already.';
  if (form.current === '') problems.current = 'Enter your current password.';
  return problems;
}

/**
 * The server's refusal in the form's terms: a wrong current password beside that field, a
 * refused address beside its own; too many attempts (TOO_MANY_REQUESTS: wrong passwords, or
 * changes asked) above the form with the wait the server gave.
 */
export function emailChangeProblems(problem: Problem | undefined): FormProblems {
  if (problem?.retryAfter !== undefined) {
    return { fields: {}, problem: { ...problem, message: `Too many attempts. Try again in ${formatWait(problem.retryAfter)}.` } };
  }
  const renamed: Problem | undefined = problem && {
    ...problem,
    fields: Object.fromEntries(Object.entries(problem.fields).map(([f, m]) => [FIELD_OF[f] ?? f, f === 'currentPassword' ? 'This is not your current password.' : sentence(m.replace(/^email: /, ''))])),
  };
  return formProblems(renamed, ['email', 'current']);
}

const sentence = (text: string) => {
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
};
