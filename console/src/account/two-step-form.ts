/**
 * The account page's two-step sign-in as plain data (docs/ACCOUNTS.md "Two-step sign-in"): the
 * steps of adding an authenticator app, what a person can fix before anything is sent, the
 * server's refusals beside their fields, and the QR code as an image. The codes and the secret
 * are shown, never stored by the page.
 */
import { formatWait, type Problem } from '../graphql/problems';
import { formProblems, type FormProblems } from './forms';

/**
 * Adding an app: the password (`startTotpEnrolment`), then the QR code and the secret with the
 * first code and a name (`confirmTotpEnrolment`), then the recovery codes shown once. New
 * recovery codes: the password (`regenerateRecoveryCodes`), then the codes.
 */
export type EnrolStep = { step: 'idle' } | { step: 'password'; purpose: 'enrol' | 'codes' } | { step: 'scan'; id: string; secret: string; qr: string } | { step: 'codes'; codes: readonly string[] };

export interface EnrolForm {
  currentPassword: string;
  code: string;
  name: string;
}

export const emptyEnrolForm: EnrolForm = { currentPassword: '', code: '', name: 'Authenticator app' };

/**
 * The server's QR code (an SVG document) as an image source: a data: URL, which the page's CSP
 * allows for images (`img-src 'self' data:`), and an <img> runs no script of it.
 */
export function qrImageSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The secret in groups of four, easier to type into an app by hand. */
export function groupedSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** A code as typed, without the spaces people copy along. */
export function typedCode(code: string): string {
  return code.replace(/\s/g, '');
}

export function validatePasswordStep(form: Pick<EnrolForm, 'currentPassword'>): Record<string, string> {
  return form.currentPassword === '' ? { currentPassword: 'Enter your current password.' } : {};
}

export function validateCodeStep(form: Pick<EnrolForm, 'code' | 'name'>): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!/^\d{6}$/.test(typedCode(form.code))) problems.code = 'Enter the 6-digit code the app shows.';
  const name = form.name.trim();
  if (name.length < 1 || name.length > 100) problems.name = 'Give it a name of 1 to 100 characters.';
  return problems;
}

/** The recovery codes as copied: one a line. */
export function recoveryCodesText(codes: readonly string[]): string {
  return `${codes.join('\n')}\n`;
}

/**
 * The server's refusal in the form's terms: a wrong current password or code beside its field;
 * too many wrong passwords (TOO_MANY_REQUESTS) above the form with the wait the server gave;
 * anything else (an enrolment older than 10 minutes or replaced in another tab) above the form.
 */
export function twoStepProblems(problem: Problem | undefined, shown: readonly string[]): FormProblems {
  if (problem?.retryAfter !== undefined) return { fields: {}, problem: { ...problem, message: `Too many wrong passwords. Try again in ${formatWait(problem.retryAfter)}.` } };
  const renamed: Problem | undefined = problem && {
    ...problem,
    fields: Object.fromEntries(
      Object.entries(problem.fields).map(([f, m]) => [f, f === 'currentPassword' ? 'This is not your current password.' : f === 'code' ? 'That code is not right. Type the code the app shows now.' : m.replace(/^\w+: /, '')]),
    ),
  };
  return formProblems(renamed, shown);
}
