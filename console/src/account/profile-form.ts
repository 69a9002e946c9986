/**
 * The account page's profile form as plain data: what was typed ⇄ the API's UpdateMeInput
 * (schema/schema.graphql). As the console's user form (pages/users/form.ts): trimmed text, an
 * emptied field clears the value (null), and only what changed is sent, so that saving never
 * overwrites a field changed meanwhile elsewhere (the console, another tab).
 */
import type { UpdateMeInput } from '../gql/graphql';
import { textOrNull } from '../pages/users/form';

/** What a user changes about themselves (UpdateMeInput); the username and email are shown apart. */
export interface ProfileForm {
  givenName: string;
  familyName: string;
  locale: string;
  picture: string;
}

export const PROFILE_FIELDS = ['givenName', 'familyName', 'locale', 'picture'] as const;

export function profileFormOf(user: { givenName?: string | null; familyName?: string | null; locale?: string | null; picture?: string | null }): ProfileForm {
  return { givenName: user.givenName ?? '', familyName: user.familyName ?? '', locale: user.locale ?? '', picture: user.picture ?? '' };
}

/** The changes from `original` to `current`, emptied text as null; an empty object: nothing to save. */
export function profileInput(original: ProfileForm, current: ProfileForm): UpdateMeInput {
  const input: UpdateMeInput = {};
  for (const field of PROFILE_FIELDS) {
    const value = textOrNull(current[field]);
    if (value !== textOrNull(original[field])) input[field] = value;
  }
  return input;
}

/**
 * Problems a person can fix before anything is sent, in the API's own rules
 * (src/users/user-service.ts): a BCP 47 tag (RFC 5646 §2.1, the shape only), an http(s) URL.
 */
export function validateProfile(form: ProfileForm): Record<string, string> {
  const problems: Record<string, string> = {};
  const locale = form.locale.trim();
  if (locale !== '' && !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(locale)) problems.locale = 'Use a language tag, such as en or pt-BR.';
  const picture = form.picture.trim();
  if (picture !== '' && !isHttpUrl(picture)) problems.picture = 'Use an address starting with https:// (or http://).';
  return problems;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['https:', 'http:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
