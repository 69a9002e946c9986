/**
 * A mutation's refusal split for a form of the account page: each field's problem beside its
 * field (BAD_USER_INPUT with `extensions.field`, src/graphql/domain-errors.ts; the field's name
 * dropped from the message), everything else — problems of fields the form does not show
 * included — in one message above the form, so that none is lost.
 */
import type { Problem } from '../graphql/problems';
import { splitFieldProblems } from '../pages/users/form';

export interface FormProblems {
  /** By the form's field. */
  fields: Record<string, string>;
  /** Above the form; undefined when everything went beside a field. */
  problem?: Problem;
}

export function formProblems(problem: Problem | undefined, shown: readonly string[]): FormProblems {
  if (!problem) return { fields: {}, problem: { message: 'The change was not saved. Try again.', fields: {}, offline: false, sessionEnded: false } };
  const split = splitFieldProblems(problem.fields, shown);
  const message = [problem.message, ...split.rest].filter(Boolean).join(' ');
  return { fields: split.fields, problem: message ? { ...problem, message } : undefined };
}
