/**
 * The users pages' forms as plain data: what was typed ⇄ the API's CreateUserInput and
 * UpdateUserInput (schema/schema.graphql). Text is trimmed; an emptied optional field clears the
 * value (null), since the API refuses empty strings; an update sends only what changed, so that
 * saving a form never overwrites a field someone else changed meanwhile. Passwords are kept as
 * typed: spaces are part of a passphrase.
 */
import type { CreateUserInput, UpdateUserInput } from '../../gql/graphql';

/** The API's password bounds (src/users/user-service.ts). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export interface CreateUserForm {
  username: string;
  email: string;
  givenName: string;
  familyName: string;
  password: string;
  admin: boolean;
}

export const emptyCreateForm: CreateUserForm = { username: '', email: '', givenName: '', familyName: '', password: '', admin: false };

/** The profile fields of a user that administrators change (UpdateUserInput). */
export interface EditUserForm {
  email: string;
  emailVerified: boolean;
  givenName: string;
  familyName: string;
  locale: string;
  picture: string;
  admin: boolean;
  active: boolean;
}

const TEXT_FIELDS = ['email', 'givenName', 'familyName', 'locale', 'picture'] as const;
const FLAG_FIELDS = ['emailVerified', 'admin', 'active'] as const;

/** Trimmed text; null for nothing. */
export function textOrNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Field problems found before asking the server: the ones a person can fix at once. */
export function validateCreate(form: CreateUserForm): Record<string, string> {
  const problems: Record<string, string> = {};
  if (form.username.trim() === '') problems.username = 'Enter a username.';
  const password = passwordProblem(form.password, true);
  if (password) problems.password = password;
  return problems;
}

/** What is wrong with a new password; undefined when nothing is (or, if optional, none was typed). */
export function passwordProblem(password: string, optional = false): string | undefined {
  if (password === '') return optional ? undefined : 'Enter a password.';
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return undefined;
}

/**
 * The new user: empty optional fields are left out (the API's defaults apply: no email, not
 * verified, active); no password means the user cannot sign in with one until it is set.
 */
export function createInput(form: CreateUserForm): CreateUserInput {
  const input: CreateUserInput = { username: form.username.trim(), admin: form.admin };
  for (const field of ['email', 'givenName', 'familyName'] as const) {
    const value = textOrNull(form[field]);
    if (value !== null) input[field] = value;
  }
  if (form.password !== '') input.password = form.password;
  return input;
}

/** The user's values as the edit form shows them. */
export function editFormOf(user: { email?: string | null; emailVerified: boolean; givenName?: string | null; familyName?: string | null; locale?: string | null; picture?: string | null; admin: boolean; active: boolean }): EditUserForm {
  return {
    email: user.email ?? '',
    emailVerified: user.emailVerified,
    givenName: user.givenName ?? '',
    familyName: user.familyName ?? '',
    locale: user.locale ?? '',
    picture: user.picture ?? '',
    admin: user.admin,
    active: user.active,
  };
}

/**
 * The changes from `original` (what the form was loaded with) to `current`: only the fields whose
 * meaning changed (`" Ada "` is `"Ada"`), emptied text as null. An empty object: nothing to save.
 */
export function updateInput(original: EditUserForm, current: EditUserForm): UpdateUserInput {
  const input: UpdateUserInput = {};
  for (const field of TEXT_FIELDS) {
    const value = textOrNull(current[field]);
    if (value !== textOrNull(original[field])) input[field] = value;
  }
  for (const field of FLAG_FIELDS) if (current[field] !== original[field]) input[field] = current[field];
  return input;
}

/** What a person should be told before the update is sent: what the changed flags end. */
export function updateConsequences(input: UpdateUserInput): string[] {
  const said: string[] = [];
  if (input.active === false) said.push('Deactivating ends their sessions and grants; re-activating does not bring them back.');
  if (input.admin === false) said.push('Without the admin flag, their next sign-in to this console is refused.');
  return said;
}

/**
 * The server's field errors (src/users/user-service.ts writes "email: must be an email address")
 * without the field's name, since they are shown beside that field; problems of fields the form
 * does not show go to the message above the form, so none is lost.
 */
export function splitFieldProblems(fields: Record<string, string>, shown: readonly string[]): { fields: Record<string, string>; rest: string[] } {
  const beside: Record<string, string> = {};
  const rest: string[] = [];
  for (const [field, message] of Object.entries(fields)) {
    if (shown.includes(field)) beside[field] = sentence(message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message);
    else rest.push(sentence(message));
  }
  return { fields: beside, rest };
}

function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** "Ada Lovelace", from whichever names are known; empty when none is. */
export function displayName(user: { givenName?: string | null; familyName?: string | null }): string {
  return [user.givenName, user.familyName].filter(Boolean).join(' ');
}

/** A grant's state in words: revoked (when), expired, or active. */
export function grantStatus(grant: { active: boolean; revokedAt?: string | null; expiresAt: string }, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (grant.revokedAt) return 'revoked';
  if (grant.active && Date.parse(grant.expiresAt) > now) return 'active';
  return 'expired';
}

/** The first characters of an opaque id: enough to tell rows apart and to find it in the logs. */
export function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
}
