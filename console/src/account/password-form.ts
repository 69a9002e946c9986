/**
 * The account page's password form as plain data: the checks a person can act on before
 * anything is sent, and the server's answer (`changeMyPassword`, docs/ACCOUNTS.md "Changing the
 * password") put beside the field it is about. Passwords are kept as typed: spaces are part of a
 * passphrase.
 */
import { formatWait, type Problem } from '../graphql/problems';
import { passwordProblem } from '../pages/users/form';
import { formProblems, type FormProblems } from './forms';

export interface PasswordForm {
  current: string;
  next: string;
  again: string;
  /** "Sign me out everywhere else": `endOtherSessions`, checked by default as the API's default. */
  endOthers: boolean;
}

export const emptyPasswordForm: PasswordForm = { current: '', next: '', again: '', endOthers: true };

/** The server's argument names ⇄ the form's fields. */
const FIELD_OF: Record<string, keyof PasswordForm> = { currentPassword: 'current', newPassword: 'next' };

export function validatePassword(form: PasswordForm): Record<string, string> {
  const problems: Record<string, string> = {};
  if (form.current === '') problems.current = 'Enter your current password.';
  const next = passwordProblem(form.next);
  if (next) problems.next = next;
  else if (form.next === form.current) problems.next = 'Choose a password other than the current one.';
  if (!next && form.again !== form.next) problems.again = 'The two new passwords differ: type the same one twice.';
  return problems;
}

/**
 * The server's refusal in the form's terms: a wrong current password beside that field
 * ("incorrect password" → "This is not your current password."), a refused new one beside its
 * own; too many wrong ones (TOO_MANY_REQUESTS) above the form with the wait the server gave.
 */
export function passwordProblems(problem: Problem | undefined): FormProblems {
  if (problem?.retryAfter !== undefined) {
    return { fields: {}, problem: { ...problem, message: `Too many wrong passwords. Try again in ${formatWait(problem.retryAfter)}.` } };
  }
  const renamed: Problem | undefined = problem && { ...problem, fields: Object.fromEntries(Object.entries(problem.fields).map(([f, m]) => [FIELD_OF[f] ?? f, f === 'currentPassword' ? 'This is not your current password.' : m.replace(/^newPassword: /, '')])) };
  return formProblems(renamed, ['current', 'next']);
}
